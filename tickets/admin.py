"""Admin for ticket types, stages, tags and tickets (the timeline is read-only inline)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tickets.models import Stage, Tag, Ticket, TicketLink, TicketType, TimelineEntry


@admin.register(TicketType)
class TicketTypeAdmin(admin.ModelAdmin[TicketType]):
    list_display = ("name", "colour", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin[Stage]):
    list_display = ("name", "team", "position", "folded", "closing")
    list_filter = ("team", "closing", "folded")
    ordering = ("team", "position")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    search_fields = ("name",)


class TimelineInline(admin.TabularInline[TimelineEntry, Ticket]):
    model = TimelineEntry
    fk_name = "ticket"
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "author_agent", "author_customer", "field", "old_value", "new_value", "event", "body")
    readonly_fields = fields
    ordering = ("created_at", "id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LinkInline(admin.TabularInline[TicketLink, Ticket]):
    model = TicketLink
    fk_name = "from_ticket"
    extra = 0
    readonly_fields = ("to_ticket", "kind", "created_by", "created_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    # Changes go through the desk's services (audit, routing load, events); the admin only reads tickets.
    list_display = ("number", "subject", "status", "stage", "priority", "team", "assignee", "customer", "urge_count", "updated_at")
    list_filter = ("status", "priority", "team", "type", "source")
    search_fields = ("number", "subject")
    list_select_related = ("stage", "team", "assignee", "customer")
    inlines = [TimelineInline, LinkInline]
    readonly_fields = [f.name for f in Ticket._meta.fields] + ["tags", "collaborators", "followers"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
