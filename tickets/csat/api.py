"""CSAT and follow-up visit endpoints for agents: a ticket's rating, the report with averages, visits."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.rest import Id, StrictInput, Text, request_agent, validated
from tickets.api.schemas import TicketErrorOut
from tickets.csat import selectors, visits
from tickets.csat.models import MAX_COMMENT, FollowUpVisit, Rating

TAGS = ["csat"]
ERRORS = {
    400: OpenApiResponse(TicketErrorOut, description="Invalid input"),
    403: OpenApiResponse(TicketErrorOut, description="Not signed in or not an agent"),
}


class RatingOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=Rating.Source.choices)  # type: ignore[assignment]  # a field named like Field.source
    ticket_id = serializers.IntegerField(allow_null=True)
    conversation_id = serializers.IntegerField(allow_null=True)
    customer_id = serializers.IntegerField(allow_null=True)
    agent_id = serializers.IntegerField(allow_null=True, help_text="who served the contact when it was rated")
    team_id = serializers.IntegerField(allow_null=True)
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=MAX_COMMENT)
    created_at = serializers.DateTimeField()


class TicketRatingOut(serializers.Serializer[Any]):
    ticket_id = serializers.IntegerField()
    rating = RatingOut(allow_null=True)


class GroupOut(serializers.Serializer[Any]):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    count = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)
    low = serializers.IntegerField(help_text="scores of 1 or 2")


class ReportOut(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)
    low = serializers.IntegerField(help_text="scores of 1 or 2")
    by_team = GroupOut(many=True)
    by_agent = GroupOut(many=True)
    results = RatingOut(many=True, help_text=f"the newest {selectors.LIST_MAX}")


class ReportQuery(StrictInput):
    team = serializers.IntegerField(min_value=1, required=False)
    agent = serializers.IntegerField(min_value=1, required=False)
    since = serializers.DateTimeField(required=False)
    source = serializers.ChoiceField(choices=Rating.Source.choices, required=False)  # type: ignore[assignment]  # as above


def _rating(rating: Rating) -> dict[str, Any]:
    return {
        "id": rating.pk,
        "source": rating.source,
        "ticket_id": rating.ticket_id,
        "conversation_id": rating.conversation_id,
        "customer_id": rating.customer_id,
        "agent_id": rating.agent_id,
        "team_id": rating.team_id,
        "score": rating.score,
        "comment": rating.comment,
        "created_at": rating.created_at,
    }


class TicketRatingView(APIView):
    @extend_schema(
        operation_id="tickets_csat",
        summary="The ticket's satisfaction rating (null until the customer answers)",
        responses={200: TicketRatingOut, **ERRORS, 404: OpenApiResponse(TicketErrorOut, description="No such ticket for this agent")},
        tags=TAGS,
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        rating = selectors.ticket_rating(actor=request_agent(request), ticket_id=ticket_id)
        return Response(TicketRatingOut({"ticket_id": ticket_id, "rating": _rating(rating) if rating else None}).data)


class ReportView(APIView):
    @extend_schema(
        operation_id="csat_report",
        summary="Satisfaction ratings the agent may see, with count, average and low scores overall, per team and per agent",
        parameters=[
            OpenApiParameter("team", int, description="only this team's ratings"),
            OpenApiParameter("agent", int, description="only the ratings of contacts this agent served"),
            OpenApiParameter("since", str, description="ISO 8601 time: only ratings given since then"),
            OpenApiParameter("source", str, enum=Rating.Source.values, description="ticket or chat"),
        ],
        responses={200: ReportOut, **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        agent = request_agent(request)
        query = validated(ReportQuery(data={k: v for k, v in request.query_params.items() if v != ""}))
        found = selectors.report(
            actor=agent, team_id=query.get("team"), agent_id=query.get("agent"), since=query.get("since"), source=query.get("source", "")
        )
        data = {
            "count": found.count,
            "average": found.average,
            "low": found.low,
            "by_team": [_group(g) for g in found.by_team],
            "by_agent": [_group(g) for g in found.by_agent],
            "results": [_rating(r) for r in found.results],
        }
        return Response(ReportOut(data).data)


def _group(group: selectors.Group) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "count": group.count, "average": group.average, "low": group.low}


# -- follow-up visits --------------------------------------------------------------------------------


class VisitOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    ticket_id = serializers.IntegerField(allow_null=True)
    conversation_id = serializers.IntegerField(allow_null=True)
    customer_id = serializers.IntegerField(allow_null=True)
    team_id = serializers.IntegerField()
    agent_id = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=FollowUpVisit.Channel.choices)
    due_at = serializers.DateTimeField()
    note = serializers.CharField()
    outcome = serializers.CharField(help_text="empty until recorded: reached, not_reached, satisfied, unsatisfied")
    outcome_notes = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    escalated_at = serializers.DateTimeField(allow_null=True, help_text="when it was escalated as overdue (once)")


class VisitListOut(serializers.Serializer[Any]):
    results = VisitOut(many=True)


class VisitIn(StrictInput):
    ticket_id = Id(required=False)
    conversation_id = Id(required=False)
    agent_id = Id(required=False, help_text="default: who served the contact, else you")
    channel = serializers.ChoiceField(choices=FollowUpVisit.Channel.choices, default=FollowUpVisit.Channel.PHONE)
    due_at = serializers.DateTimeField()
    note = Text(required=False, allow_blank=True, max_length=2000, default="")


class OutcomeIn(StrictInput):
    outcome = serializers.ChoiceField(choices=FollowUpVisit.Outcome.choices)
    notes = Text(required=False, allow_blank=True, max_length=4000, default="")


class VisitQuery(StrictInput):
    scope = serializers.ChoiceField(choices=["mine", "team"], default="mine")
    team = serializers.IntegerField(min_value=1, required=False)
    ticket = serializers.IntegerField(min_value=1, required=False)
    open = serializers.ChoiceField(choices=["0", "1"], default="1")


def _visit(visit: FollowUpVisit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "ticket_id": visit.ticket_id,
        "conversation_id": visit.conversation_id,
        "customer_id": visit.customer_id,
        "team_id": visit.team_id,
        "agent_id": visit.agent_id,
        "channel": visit.channel,
        "due_at": visit.due_at,
        "note": visit.note,
        "outcome": visit.outcome,
        "outcome_notes": visit.outcome_notes,
        "completed_at": visit.completed_at,
        "escalated_at": visit.escalated_at,
    }


class VisitsView(APIView):
    @extend_schema(
        operation_id="visits_list",
        summary="Follow-up visits (回访): mine or my teams', open ones by default, soonest due first",
        parameters=[
            OpenApiParameter("scope", str, enum=["mine", "team"]),
            OpenApiParameter("team", int),
            OpenApiParameter("ticket", int),
            OpenApiParameter("open", str, enum=["0", "1"], description="1 (default): without an outcome yet"),
        ],
        responses={200: VisitListOut, **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        agent = request_agent(request)
        query = validated(VisitQuery(data={k: v for k, v in request.query_params.items() if v != ""}))
        rows = selectors.visits(
            actor=agent, scope=query["scope"], team_id=query.get("team"), ticket_id=query.get("ticket"), open_only=query["open"] == "1"
        )
        return Response(VisitListOut({"results": [_visit(v) for v in rows]}).data)

    @extend_schema(
        operation_id="visits_schedule",
        summary="Schedule a follow-up visit of a solved or closed ticket, or of a resolved chat",
        request=VisitIn,
        responses={201: VisitOut, **ERRORS, 404: OpenApiResponse(TicketErrorOut), 409: OpenApiResponse(TicketErrorOut)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        agent = request_agent(request)
        data = validated(VisitIn(data=request.data))
        visit = visits.schedule_visit(actor=agent, now=timezone.now(), **data)
        return Response(VisitOut(_visit(visit)).data, status=201)


class VisitOutcomeView(APIView):
    @extend_schema(
        operation_id="visits_outcome",
        summary="Record a follow-up visit's outcome (once; its agent or a supervisor)",
        request=OutcomeIn,
        responses={200: VisitOut, **ERRORS, 404: OpenApiResponse(TicketErrorOut), 409: OpenApiResponse(TicketErrorOut)},
        tags=TAGS,
    )
    def post(self, request: Request, visit_id: int) -> Response:
        agent = request_agent(request)
        data = validated(OutcomeIn(data=request.data))
        visit = visits.record_outcome(actor=agent, visit_id=visit_id, now=timezone.now(), **data)
        return Response(VisitOut(_visit(visit)).data)
