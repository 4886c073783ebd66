"""Who may see and change which tickets. Everything a caller may not see reads as NotFound, so ids cannot be probed.

- Supervisors and admins see every ticket.
- Agents see the tickets of their teams, and tickets they are assignee, collaborator or follower of.
- A customer sees only their own tickets, and of their timelines only public replies
  (:mod:`tickets.selectors.customer`); internal notes never reach a customer.
- :data:`SYSTEM` is the desk itself (chat's hand-over, periodic jobs, routing's handlers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, F, Func, Q, QuerySet, Subquery
from django.db.models.sql.compiler import SQLCompiler

from contactcenter.core.customers.models import Customer
from contactcenter.core.errors import Forbidden, NotFound
from contactcenter.core.staff.models import AgentProfile, Team
from tickets.models import Ticket

if TYPE_CHECKING:
    from django.db.models.sql.compiler import _AsSqlType


@dataclass(frozen=True, slots=True)
class SystemActor:
    """The desk acting on its own (no person): sees and may do everything."""

    name: str = "system"


SYSTEM = SystemActor()
Actor: TypeAlias = AgentProfile | Customer | SystemActor


def team_ids_of(agent: AgentProfile) -> list[int]:
    return list(AgentProfile.teams.through.objects.filter(agentprofile_id=agent.pk).values_list("team_id", flat=True))


class InSubqueryArray(Func):
    """``column = ANY(ARRAY(subquery))`` on PostgreSQL, ``column IN (subquery)`` elsewhere.

    The same set as ``column IN (subquery)``, but PostgreSQL runs the subquery once up front (an
    InitPlan) and then treats its result like a constant list, so the column's index can serve the
    condition even inside an OR. With ``IN (subquery)`` an OR of several such conditions is a
    hashed-subplan filter, which only a sequential scan of the table can apply."""

    conditional = True
    output_field = BooleanField()
    template = "%(expressions)s"
    arg_joiner = " IN "

    def __init__(self, column: str, subquery: QuerySet[Any]) -> None:
        super().__init__(F(column), Subquery(subquery))

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any) -> _AsSqlType:
        return self.as_sql(compiler, connection, template="%(expressions)s)", arg_joiner=" = ANY(ARRAY", **extra_context)


def agent_scope(agent: AgentProfile) -> Q:
    """The tickets an agent sees, as a condition without joins (row locks and bulk updates stay possible).

    Each arm compares one indexed column with the agent's own rows (teams, collaborations, follows)
    computed once, so the rest of the query is free to start from any index (a tag, the search
    index, a ticket id) and check the scope per row; with ``IN (subquery)`` arms PostgreSQL could
    only filter a sequential scan. At 100,000 tickets an agent's count over a tag went from 74 to
    37 ms (docs/benchmarks.md). A scope that is most of the table still reads the table."""
    if agent.is_supervisor:
        return Q()
    teams = AgentProfile.teams.through.objects.filter(agentprofile_id=agent.pk).values("team_id")
    collaborating = Ticket.collaborators.through.objects.filter(agentprofile_id=agent.pk).values("ticket_id")
    following = Ticket.followers.through.objects.filter(agentprofile_id=agent.pk).values("ticket_id")
    return (
        Q(InSubqueryArray("team_id", teams))
        | Q(assignee_id=agent.pk)
        | Q(InSubqueryArray("pk", collaborating))
        | Q(InSubqueryArray("pk", following))
    )


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
