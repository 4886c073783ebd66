"""Admin for queues (validated routing configuration), entries, offers, agent routing state and source rules."""

from __future__ import annotations

from django.contrib import admin

from routing.models import AgentRoutingState, Offer, Queue, QueueEntry, QueueState, SourceRule


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin[Queue]):
    list_display = ["name", "kind", "team", "strategy", "auto_accept", "offer_timeout_s", "max_wait_s", "overflow_action", "is_active"]
    list_filter = ["kind", "strategy", "is_active"]
    search_fields = ["name"]


class OfferInline(admin.TabularInline[Offer, QueueEntry]):
    model = Offer
    extra = 0
    fields = ["agent", "status", "offered_at", "expires_at", "answered_at"]
    readonly_fields = ["agent", "status", "offered_at", "expires_at", "answered_at"]
    can_delete = False


@admin.register(QueueEntry)
class QueueEntryAdmin(admin.ModelAdmin[QueueEntry]):
    list_display = ["id", "queue", "kind", "item_id", "status", "priority", "enqueued_at", "assigned_agent", "assigned_at"]
    list_filter = ["status", "kind", "queue"]
    search_fields = ["item_id"]
    inlines = [OfferInline]


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin[Offer]):
    list_display = ["id", "entry", "agent", "status", "offered_at", "expires_at"]
    list_filter = ["status"]


@admin.register(AgentRoutingState)
class AgentRoutingStateAdmin(admin.ModelAdmin[AgentRoutingState]):
    list_display = ["agent", "pause_reason", "wrap_up_until", "last_assigned_at", "last_call_ended_at", "linear_position"]


@admin.register(QueueState)
class QueueStateAdmin(admin.ModelAdmin[QueueState]):
    list_display = ["queue", "last_agent_id"]


@admin.register(SourceRule)
class SourceRuleAdmin(admin.ModelAdmin[SourceRule]):
    list_display = ["position", "name", "kind", "queue", "priority", "is_active"]
    list_display_links = ["name"]
    list_filter = ["kind", "is_active"]
