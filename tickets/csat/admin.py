"""Admin views of ratings, invitations and follow-up visits: read-only records (ratings are the customers' words)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tickets.csat.models import FollowUpVisit, Invitation, Rating


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(_ReadOnly):
    list_display = ["created_at", "source", "ticket", "conversation_id", "score", "agent", "team"]
    list_filter = ["source", "score", "team"]
    search_fields = ["comment", "ticket__number"]
    raw_id_fields = ["ticket", "customer", "agent"]


@admin.register(Invitation)
class InvitationAdmin(_ReadOnly):
    list_display = ["ticket", "to_address", "created_at", "sent_at", "attempts"]
    raw_id_fields = ["ticket"]


@admin.register(FollowUpVisit)
class FollowUpVisitAdmin(_ReadOnly):
    list_display = ["due_at", "ticket", "conversation_id", "agent", "team", "channel", "outcome", "completed_at", "escalated_at"]
    list_filter = ["channel", "outcome", "team"]
    raw_id_fields = ["ticket", "customer", "agent", "created_by"]
