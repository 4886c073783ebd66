"""Admin for the SMS outbox: read-only, to see what was sent, what waits and why a text was given up."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tickets.sms.models import OutboundSms


@admin.register(OutboundSms)
class OutboundSmsAdmin(admin.ModelAdmin[OutboundSms]):
    list_display = ("created_at", "ticket", "to_number", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("to_number", "ticket__number", "provider_message_id")
    readonly_fields = (
        "ticket",
        "to_number",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "provider_message_id",
        "created_at",
        "sent_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboundSms | None = None) -> bool:
        return False
