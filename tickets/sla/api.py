"""SLA endpoints for agents: one ticket's clocks, and badges for a list page."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.errors import InvalidInput
from contactcenter.core.rest import request_agent
from tickets.api.schemas import TicketErrorOut
from tickets.sla import selectors

TAGS = ["tickets"]
ERRORS = {
    400: OpenApiResponse(TicketErrorOut, description="Invalid input"),
    403: OpenApiResponse(TicketErrorOut, description="Not signed in or not an agent"),
}


class ClockOut(serializers.Serializer[Any]):
    metric = serializers.ChoiceField(choices=["first_response", "next_response", "resolution", "stage"])
    cycle = serializers.IntegerField(help_text="next response: 0 for the first unanswered customer reply, 1 for the next ...")
    policy = serializers.CharField()
    state = serializers.ChoiceField(choices=["ok", "warning", "breached", "met", "paused"])
    target_s = serializers.IntegerField(help_text="the target in working seconds")
    due_at = serializers.DateTimeField(allow_null=True, help_text="while running")
    warn_at = serializers.DateTimeField(allow_null=True, help_text="while running")
    breached_at = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True, help_text="met (or stopped by solving) at")
    remaining_s = serializers.IntegerField(allow_null=True, help_text="working seconds left; negative: overdue")


class TicketClocksOut(serializers.Serializer[Any]):
    ticket_id = serializers.IntegerField()
    clocks = ClockOut(many=True)


class BadgesOut(serializers.Serializer[Any]):
    results = TicketClocksOut(many=True)


def _clock(view: selectors.ClockView) -> dict[str, Any]:
    data = asdict(view)
    data.pop("ticket_id")
    return data


class TicketSlaView(APIView):
    @extend_schema(
        operation_id="tickets_sla",
        summary="The ticket's SLA clocks (newest cycle of each metric) with their state now",
        responses={200: TicketClocksOut, **ERRORS, 404: OpenApiResponse(TicketErrorOut, description="No such ticket for this agent")},
        tags=TAGS,
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        views = selectors.ticket_clocks(actor=request_agent(request), ticket_id=ticket_id, now=timezone.now())
        return Response(TicketClocksOut({"ticket_id": ticket_id, "clocks": [_clock(v) for v in views]}).data)


class SlaBadgesView(APIView):
    @extend_schema(
        operation_id="tickets_sla_badges",
        summary="SLA clocks of up to 100 tickets for a list page; tickets the agent may not see are left out",
        parameters=[OpenApiParameter("ids", OpenApiTypes.STR, required=True, description="comma-separated ticket ids, at most 100")],
        responses={200: BadgesOut, **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        agent = request_agent(request)
        raw = request.query_params.get("ids", "")
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        if not parts or not all(p.isdigit() and 0 < len(p) <= 18 for p in parts):
            raise InvalidInput(_("ids are ticket numbers separated by commas."), fields={"ids": _("Give ticket ids like 1,2,3.")})
        ids = list(dict.fromkeys(int(p) for p in parts))
        if len(ids) > selectors.MAX_BADGES:
            raise InvalidInput(_("At most %(n)d tickets at once.") % {"n": selectors.MAX_BADGES}, fields={"ids": _("Too many ids.")})
        found = selectors.badges(actor=agent, ticket_ids=ids, now=timezone.now())
        results = [{"ticket_id": pk, "clocks": [_clock(v) for v in found[pk]]} for pk in ids if pk in found]
        return Response(BadgesOut({"results": results}).data)
