"""Reads the agent console's ticket pages need besides the list: the desk's teams, stages and agents,
saved views, ticket ids for a bulk selection, and a ticket id by its number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet

from contactcenter.core.staff.models import AgentProfile, Team
from tickets import access
from tickets.models import FollowUp, SavedView, Stage, Tag, TicketType
from tickets.selectors.agent import _PRIORITY_RANK, SORTS, TicketFilters, filtered_tickets
from tickets.services._common import team_stages

#: The most a "select every matching ticket" hands to a bulk change (tickets.services.MAX_BULK).
MAX_SELECTION = 500


@dataclass(frozen=True, slots=True)
class DeskTeam:
    team: Team
    stages: list[Stage]
    agents: list[AgentProfile]
    member: bool


@dataclass(frozen=True, slots=True)
class Desk:
    teams: list[DeskTeam]
    types: list[TicketType]
    tags: list[str]
    views: list[SavedView]


def desk_teams(*, agent: AgentProfile) -> list[DeskTeam]:
    """The teams whose tickets the agent works (every team for supervisors), each with its stages in order
    and its agents: what filters, stage pickers and assignment menus offer."""
    mine = set(access.team_ids_of(agent))
    teams = Team.objects.order_by("name") if agent.is_supervisor else Team.objects.filter(pk__in=mine).order_by("name")
    teams = teams.prefetch_related(
        Prefetch("agents", queryset=AgentProfile.objects.order_by("display_name", "id")),
        Prefetch("ticket_stages", queryset=Stage.objects.order_by("position", "id")),
    )
    return [
        DeskTeam(
            team=team, stages=list(team.ticket_stages.all()) or team_stages(team), agents=list(team.agents.all()), member=team.pk in mine
        )
        for team in teams
    ]


def visible_saved_views(*, agent: AgentProfile) -> QuerySet[SavedView]:
    """The agent's own views, views shared with everyone, and views shared with one of the agent's teams."""
    teams = access.team_ids_of(agent)
    return (
        SavedView.objects.filter(Q(owner=agent) | Q(shared=True, team__isnull=True) | Q(shared=True, team_id__in=teams))
        .select_related("owner", "team")
        .order_by("position", "name", "id")
    )


def desk(*, agent: AgentProfile) -> Desk:
    return Desk(
        teams=desk_teams(agent=agent),
        types=list(TicketType.objects.filter(is_active=True).order_by("name")),
        tags=list(Tag.objects.order_by("name").values_list("name", flat=True)[:200]),
        views=list(visible_saved_views(agent=agent)),
    )


def matching_ticket_ids(*, actor: AgentProfile, filters: TicketFilters, now: datetime, sort: str) -> tuple[list[int], int]:
    """Up to MAX_SELECTION ids of the tickets a list shows, in its order, and how many match in all."""
    tickets = filtered_tickets(actor=actor, filters=filters, now=now)
    total = tickets.count()
    ordered = tickets.annotate(priority_rank=_PRIORITY_RANK).order_by(*SORTS[sort])
    return list(ordered.values_list("pk", flat=True)[:MAX_SELECTION]), total


def ticket_id_by_number(*, actor: AgentProfile, number: str) -> int:
    """The id of a ticket the agent may see, by its number (T-000123, or 123); else NotFound."""
    text = number.strip().upper()
    if text.isdigit():
        text = f"T-{int(text):06d}"
    return access.access_ticket_by_number(actor=actor, number=text).pk


#: How long a fired reminder stays on the agent's list (it fired: the work may still be waiting).
FIRED_SHOWN_FOR = timedelta(days=7)


def my_follow_ups(*, agent: AgentProfile, now: datetime, limit: int = 50) -> list[FollowUp]:
    """The agent's reminders (追单): pending ones and those fired in the last week, soonest first,
    on tickets the agent still sees."""
    return list(
        FollowUp.objects.filter(agent=agent, cancelled_at__isnull=True, ticket__in=access.visible_tickets(agent).values("pk"))
        .filter(Q(fired_at__isnull=True) | Q(fired_at__gte=now - FIRED_SHOWN_FOR))
        .select_related("ticket", "agent")
        .order_by("due_at", "id")[:limit]
    )


def ticket_follow_ups(*, actor: AgentProfile, ticket_id: int) -> list[FollowUp]:
    """The ticket's pending reminders, whoever they are for."""
    ticket = access.access_ticket(actor=actor, ticket_id=ticket_id)
    return list(
        FollowUp.objects.filter(ticket=ticket, cancelled_at__isnull=True, fired_at__isnull=True)
        .select_related("ticket", "agent")
        .order_by("due_at", "id")
    )
