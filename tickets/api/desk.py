"""API of the console's ticket pages beyond the list: the desk (teams, stages, agents, types, saved views),
saved views, the ids of every matching ticket for a bulk change, and a ticket id by its number."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.rest import Flag, Text, request_agent, validated
from contactcenter.core.staff.models import AgentProfile, Team
from tickets import selectors, services
from tickets.api import schemas
from tickets.api.views import _filters as list_filters
from tickets.models import FollowUp, SavedView
from tickets.services import UNSET

TAGS = ["tickets"]
ERRORS = {
    400: OpenApiResponse(schemas.TicketErrorOut, description="Invalid input (details.fields names each field)"),
    403: OpenApiResponse(schemas.TicketErrorOut, description="Not signed in, not an agent, not allowed, or CSRF failure"),
}
NOT_FOUND = {404: OpenApiResponse(schemas.TicketErrorOut, description="No such thing, or not visible to this agent")}
#: A saved view keeps the list's filters and sort, never a page.
VIEW_QUERY_KEYS = frozenset(schemas.TicketListQuery().fields) - {"page", "page_size"}


# ------------------------------------------------------------------------------------ shapes


class DeskStageOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    position = serializers.IntegerField()
    closing = serializers.BooleanField()
    folded = serializers.BooleanField()


class DeskTeamOut(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="team.pk")
    name = serializers.CharField(source="team.name")
    member = serializers.BooleanField(help_text="The agent belongs to this team (supervisors see all teams).")
    stages = DeskStageOut(many=True)
    agents = schemas.TicketAgentRef(many=True)


class SavedViewOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    shared = serializers.BooleanField()
    team = serializers.IntegerField(source="team_id", allow_null=True)
    owner = schemas.TicketAgentRef()
    query = serializers.DictField(help_text="The list's query parameters (GET /api/tickets/) without page and page_size.")
    position = serializers.IntegerField()
    mine = serializers.SerializerMethodField()

    def get_mine(self, view: SavedView) -> bool:
        return bool(view.owner_id == self.context["agent"].pk)


class DeskMeOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    role = serializers.CharField()
    supervisor = serializers.BooleanField(source="is_supervisor")


class DeskOut(serializers.Serializer[Any]):
    me = DeskMeOut()
    teams = DeskTeamOut(many=True)
    types = schemas.TicketTypeRef(many=True)
    tags = serializers.ListField(child=serializers.CharField())
    views = SavedViewOut(many=True)


class SavedViewListOut(serializers.Serializer[Any]):
    results = SavedViewOut(many=True)


class TicketIdsOut(serializers.Serializer[Any]):
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="In the list's order, at most `limit`.")
    count = serializers.IntegerField(help_text="How many tickets match in all.")
    limit = serializers.IntegerField()


class TicketRefOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField()


# ------------------------------------------------------------------------------------- input


class ViewQuery(serializers.DictField):
    """List parameters, checked exactly as GET /api/tickets/ checks them; kept as given."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        unknown = sorted(set(value) - VIEW_QUERY_KEYS)
        if unknown:
            raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        checked = schemas.TicketListQuery(data=value)
        if not checked.is_valid():
            raise serializers.ValidationError(checked.errors)
        return dict(value)


class SavedViewIn(schemas.StrictInput):
    name = Text(max_length=services.saved_views.NAME_MAX)
    query = ViewQuery(required=False, default=dict)
    shared = Flag(required=False, default=False)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True, default=None)


class SavedViewUpdateIn(schemas.StrictInput):
    name = Text(max_length=services.saved_views.NAME_MAX, required=False)
    query = ViewQuery(required=False)
    shared = Flag(required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    position = serializers.IntegerField(min_value=-1000, max_value=1000, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(_("Nothing to change."))
        return attrs


# ------------------------------------------------------------------------------------- views


def _view_out(view: SavedView, agent: AgentProfile) -> dict[str, Any]:
    return dict(SavedViewOut(view, context={"agent": agent}).data)


class DeskView(APIView):
    @extend_schema(
        operation_id="tickets_desk",
        summary="What the console's ticket pages offer: my teams with stages and agents, types, tags, saved views",
        responses={200: DeskOut, **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        agent = request_agent(request)
        found = selectors.desk(agent=agent)
        body = DeskOut(
            {"me": agent, "teams": found.teams, "types": found.types, "tags": found.tags, "views": found.views}, context={"agent": agent}
        ).data
        return Response(body)


class SavedViewListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="tickets_views_list", responses={200: SavedViewListOut, **ERRORS}, tags=TAGS)
    def get(self, request: Request) -> Response:
        agent = request_agent(request)
        return Response({"results": [_view_out(view, agent) for view in selectors.visible_saved_views(agent=agent)]})

    @extend_schema(
        operation_id="tickets_views_create",
        summary="Save the list's filters as a view: personal, shared with one of my teams, or (supervisors) with every agent",
        request=SavedViewIn,
        responses={201: SavedViewOut, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        agent = request_agent(request)
        data = validated(SavedViewIn(data=request.data))
        view = services.create_saved_view(
            agent=agent, name=data["name"], query=data["query"], shared=data["shared"], team=data["team"], now=timezone.now()
        )
        return Response(_view_out(view, agent), status=status.HTTP_201_CREATED)


class SavedViewDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_views_update",
        summary="Rename, refilter, reorder or (un)share a view: its owner, or a supervisor",
        request=SavedViewUpdateIn,
        responses={200: SavedViewOut, **ERRORS, **NOT_FOUND},
        tags=TAGS,
    )
    def patch(self, request: Request, view_id: int) -> Response:
        agent = request_agent(request)
        data = validated(SavedViewUpdateIn(data=request.data))
        view = services.update_saved_view(
            agent=agent,
            view_id=view_id,
            now=timezone.now(),
            **{name: data.get(name, UNSET) for name in ("name", "query", "shared", "team", "position")},
        )
        return Response(_view_out(view, agent))

    @extend_schema(operation_id="tickets_views_delete", responses={204: None, **ERRORS, **NOT_FOUND}, tags=TAGS)
    def delete(self, request: Request, view_id: int) -> Response:
        services.delete_saved_view(agent=request_agent(request), view_id=view_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TicketIdsView(APIView):
    @extend_schema(
        operation_id="tickets_ids",
        summary="The ids of every ticket the list's filters match (at most 500, in the list's order): select all for a bulk change",
        parameters=[schemas.TicketListQuery],
        responses={200: TicketIdsOut, **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        agent = request_agent(request)
        query = validated(schemas.TicketListQuery(data=request.query_params))
        ids, total = selectors.matching_ticket_ids(actor=agent, filters=list_filters(query), now=timezone.now(), sort=query["sort"])
        return Response({"ids": ids, "count": total, "limit": selectors.MAX_SELECTION})


class TicketByNumberView(APIView):
    @extend_schema(
        operation_id="tickets_by_number",
        summary="Find a ticket this agent may see by its number (T-000123 or 123)",
        responses={200: TicketRefOut, **ERRORS, **NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, number: str) -> Response:
        agent = request_agent(request)
        ticket_id = selectors.ticket_id_by_number(actor=agent, number=number[:32])
        return Response({"id": ticket_id, "number": selectors.ticket_detail(actor=agent, ticket_id=ticket_id).number})


# ------------------------------------------------------------------------------ follow-ups (追单)


class FollowUpOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    ticket = TicketRefOut()
    ticket_subject = serializers.CharField(source="ticket.subject")
    agent = schemas.TicketAgentRef()
    due_at = serializers.DateTimeField()
    note = serializers.CharField()
    fired = serializers.SerializerMethodField(help_text="The reminder has gone off (it is due).")

    def get_fired(self, follow_up: FollowUp) -> bool:
        return follow_up.fired_at is not None


class FollowUpListOut(serializers.Serializer[Any]):
    results = FollowUpOut(many=True)


class FollowUpIn(schemas.StrictInput):
    due_at = serializers.DateTimeField()
    note = Text(max_length=500, required=False, allow_blank=True, default="")
    agent = serializers.PrimaryKeyRelatedField(
        queryset=AgentProfile.objects.all(), required=False, allow_null=True, default=None, help_text="Whom to remind; default: me."
    )


class MyFollowUpsView(APIView):
    @extend_schema(
        operation_id="tickets_my_follow_ups",
        summary="My reminders (追单): pending ones and those that went off in the last 7 days, soonest first",
        responses={200: FollowUpListOut, **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        found = selectors.my_follow_ups(agent=request_agent(request), now=timezone.now())
        return Response({"results": FollowUpOut(found, many=True).data})


class TicketFollowUpsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_follow_ups",
        summary="The ticket's pending reminders, whoever they are for",
        responses={200: FollowUpListOut, **ERRORS, **NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        found = selectors.ticket_follow_ups(actor=request_agent(request), ticket_id=ticket_id)
        return Response({"results": FollowUpOut(found, many=True).data})

    @extend_schema(
        operation_id="tickets_follow_up_create",
        summary="Remind me (or a teammate) to come back to this ticket at due_at (in the future)",
        request=FollowUpIn,
        responses={201: FollowUpOut, **ERRORS, **NOT_FOUND},
        tags=TAGS,
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        selectors.ticket_detail(actor=agent, ticket_id=ticket_id)
        data = validated(FollowUpIn(data=request.data))
        follow_up = services.schedule_follow_up(
            ticket_id=ticket_id, actor=agent, due_at=data["due_at"], now=timezone.now(), note=data["note"], agent=data["agent"]
        )
        return Response(FollowUpOut(follow_up).data, status=status.HTTP_201_CREATED)


class FollowUpView(APIView):
    @extend_schema(
        operation_id="tickets_follow_up_cancel",
        summary="Cancel a pending reminder: the agent it is for, who set it, or a supervisor",
        responses={204: None, **ERRORS, **NOT_FOUND},
        tags=TAGS,
    )
    def delete(self, request: Request, follow_up_id: int) -> Response:
        services.cancel_follow_up(follow_up_id=follow_up_id, actor=request_agent(request), now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)
