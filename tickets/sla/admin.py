from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.sla import services
from tickets.sla.models import PausingStage, SlaClock, SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    list_display = ["name", "is_active", "position", "calendar", "first_response_s", "next_response_s", "resolution_s"]
    list_editable = ["is_active", "position"]
    filter_horizontal = ["teams", "ticket_types"]
    actions = ["recompute_open_tickets"]
    fieldsets = [
        (None, {"fields": ["name", "is_active", "position"]}),
        (_("Scope (empty: any)"), {"fields": ["teams", "ticket_types", "priorities", "customer_tags"]}),
        (
            _("Targets in working time"),
            {"fields": ["calendar", "first_response_s", "next_response_s", "resolution_s", "target_stage", "stage_s"]},
        ),
        (
            _("Warning and breach"),
            {"fields": ["warn_before_s", "warn_before_percent", "raise_priority", "redispatch", "notify_supervisors"]},
        ),
    ]

    @admin.action(description=_("Recompute the clocks of every open ticket"))
    def recompute_open_tickets(self, request: HttpRequest, queryset: QuerySet[SlaPolicy]) -> None:
        count = services.recompute_open_tickets(now=timezone.now())
        self.message_user(request, _("Recomputed %(n)d tickets.") % {"n": count}, messages.SUCCESS)


@admin.register(PausingStage)
class PausingStageAdmin(admin.ModelAdmin[PausingStage]):
    list_display = ["stage"]
    list_select_related = ["stage__team"]


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin[SlaClock]):
    list_display = ["ticket", "metric", "cycle", "due_at", "stopped_at", "breached_at", "warning_fired_at", "breach_fired_at"]
    list_filter = ["metric"]
    raw_id_fields = ["ticket"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
