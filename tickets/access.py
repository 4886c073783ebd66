"""Who may see and change which tickets. Everything a caller may not see reads as NotFound, so ids cannot be probed.

- Supervisors and admins see every ticket.
- Agents see the tickets of their teams, and tickets they are assignee, collaborator or follower of.
- A customer sees only their own tickets, and of their timelines only public replies
  (:mod:`tickets.selectors.customer`); internal notes never reach a customer.
- :data:`SYSTEM` is the desk itself (chat's hand-over, periodic jobs, routing's handlers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from django.db.models import Q, QuerySet

from contactcenter.core.customers.models import Customer
from contactcenter.core.errors import Forbidden, NotFound
from contactcenter.core.staff.models import AgentProfile, Team
from tickets.models import Ticket


@dataclass(frozen=True, slots=True)
class SystemActor:
    """The desk acting on its own (no person): sees and may do everything."""

    name: str = "system"


SYSTEM = SystemActor()
Actor: TypeAlias = AgentProfile | Customer | SystemActor


def team_ids_of(agent: AgentProfile) -> list[int]:
    return list(AgentProfile.teams.through.objects.filter(agentprofile_id=agent.pk).values_list("team_id", flat=True))


def agent_scope(agent: AgentProfile) -> Q:
    """The tickets an agent sees, as a condition without joins (row locks and bulk updates stay possible)."""
    if agent.is_supervisor:
        return Q()
    teams = AgentProfile.teams.through.objects.filter(agentprofile_id=agent.pk).values("team_id")
    collaborating = Ticket.collaborators.through.objects.filter(agentprofile_id=agent.pk).values("ticket_id")
    following = Ticket.followers.through.objects.filter(agentprofile_id=agent.pk).values("ticket_id")
    return Q(team_id__in=teams) | Q(assignee_id=agent.pk) | Q(pk__in=collaborating) | Q(pk__in=following)


def visible_tickets(actor: Actor) -> QuerySet[Ticket]:
    """Every ticket ``actor`` may see (unordered beyond the model default)."""
    if isinstance(actor, SystemActor):
        return Ticket.objects.all()
    if isinstance(actor, Customer):
        return Ticket.objects.filter(customer_id=actor.pk)
    return Ticket.objects.filter(agent_scope(actor))


def access_ticket(*, actor: Actor, ticket_id: int, lock: bool = False) -> Ticket:
    """The ticket if ``actor`` may see it (locked for update when asked), else NotFound."""
    tickets = visible_tickets(actor)
    if lock:
        tickets = tickets.select_for_update()
    ticket = tickets.filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    return ticket


def access_ticket_by_number(*, actor: Actor, number: str) -> Ticket:
    ticket = visible_tickets(actor).filter(number=number.strip().upper()).first()
    if ticket is None:
        raise NotFound()
    return ticket


def require_agent(actor: Actor) -> AgentProfile | SystemActor:
    """Desk work (assign, notes, field changes, merge ...) is for agents and the system, not customers."""
    if isinstance(actor, Customer):
        raise Forbidden()
    return actor


def require_supervisor(actor: Actor) -> None:
    if isinstance(actor, SystemActor):
        return
    if not isinstance(actor, AgentProfile) or not actor.is_supervisor:
        raise Forbidden()


def can_work_for_team(agent: AgentProfile, team: Team | int) -> bool:
    team_id = team if isinstance(team, int) else team.pk
    return agent.is_supervisor or AgentProfile.teams.through.objects.filter(agentprofile_id=agent.pk, team_id=team_id).exists()


def check_assignable(*, actor: Actor, agent: AgentProfile, team_id: int) -> None:
    """Who may get a ticket of this team: its agents; supervisors hand work to anyone; agents only within their teams."""
    if isinstance(actor, Customer):
        raise Forbidden()
    if isinstance(actor, AgentProfile) and not actor.is_supervisor:
        if actor.pk != agent.pk and not can_work_for_team(actor, team_id):
            raise Forbidden()
        if not can_work_for_team(agent, team_id):
            raise Forbidden()
