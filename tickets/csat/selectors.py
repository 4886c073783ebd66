"""CSAT reads: who may see which ratings and visits, a ticket's rating, averages per team and agent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, Q, QuerySet

from contactcenter.core.staff.models import AgentProfile
from tickets import access
from tickets.csat.models import LOW_SCORE, FollowUpVisit, Rating

LIST_MAX = 100


def visible_ratings(actor: AgentProfile) -> QuerySet[Rating]:
    """Supervisors see every rating; agents those of their teams and their own."""
    ratings = Rating.objects.select_related("agent", "team", "ticket")
    if actor.is_supervisor:
        return ratings
    return ratings.filter(Q(team_id__in=access.team_ids_of(actor)) | Q(agent=actor))


def ticket_rating(*, actor: AgentProfile, ticket_id: int) -> Rating | None:
    """The rating of a ticket the actor may see (NotFound otherwise)."""
    access.access_ticket(actor=actor, ticket_id=ticket_id)
    return Rating.objects.filter(ticket_id=ticket_id).first()


@dataclass(frozen=True, slots=True)
class Group:
    id: int | None
    name: str
    count: int
    average: float | None
    low: int


@dataclass(frozen=True, slots=True)
class Report:
    count: int
    average: float | None
    low: int
    by_team: list[Group]
    by_agent: list[Group]
    results: list[Rating]


def _average(value: float | None) -> float | None:
    return round(float(value), 2) if value is not None else None


def report(
    *, actor: AgentProfile, team_id: int | None = None, agent_id: int | None = None, since: datetime | None = None, source: str = ""
) -> Report:
    """Ratings the actor may see, filtered; their count, average and low (1-2) count overall, per team and
    per agent, and the newest LIST_MAX of them."""
    ratings = visible_ratings(actor)
    if team_id is not None:
        ratings = ratings.filter(team_id=team_id)
    if agent_id is not None:
        ratings = ratings.filter(agent_id=agent_id)
    if since is not None:
        ratings = ratings.filter(created_at__gte=since)
    if source:
        ratings = ratings.filter(source=source)
    low = Count("id", filter=Q(score__lte=LOW_SCORE))
    total = ratings.aggregate(count=Count("id"), average=Avg("score"), low=low)
    teams = ratings.order_by().values("team_id", "team__name").annotate(count=Count("id"), average=Avg("score"), low=low)
    agents = ratings.order_by().values("agent_id", "agent__display_name").annotate(count=Count("id"), average=Avg("score"), low=low)
    return Report(
        count=total["count"],
        average=_average(total["average"]),
        low=total["low"],
        by_team=sorted(
            (Group(t["team_id"], t["team__name"] or "", t["count"], _average(t["average"]), t["low"]) for t in teams),
            key=lambda g: (g.name, g.id or 0),
        ),
        by_agent=sorted(
            (Group(a["agent_id"], a["agent__display_name"] or "", a["count"], _average(a["average"]), a["low"]) for a in agents),
            key=lambda g: (g.name, g.id or 0),
        ),
        results=list(ratings.order_by("-created_at", "-id")[:LIST_MAX]),
    )


def visits(
    *, actor: AgentProfile, scope: str = "mine", team_id: int | None = None, open_only: bool = True, ticket_id: int | None = None
) -> list[FollowUpVisit]:
    """``mine``: the actor's visits; ``team``: the visits of the actor's teams (every team for a supervisor)."""
    rows = FollowUpVisit.objects.all()
    if scope == "mine":
        rows = rows.filter(agent=actor)
    elif not actor.is_supervisor:
        rows = rows.filter(Q(team_id__in=access.team_ids_of(actor)) | Q(agent=actor))
    if team_id is not None:
        rows = rows.filter(team_id=team_id)
    if ticket_id is not None:
        rows = rows.filter(ticket_id=ticket_id)
    if open_only:
        rows = rows.filter(completed_at__isnull=True)
    return list(rows.order_by("due_at", "id")[:LIST_MAX])
