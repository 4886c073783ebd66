"""Ticket desk event names, groups and payloads (published after commit by the services only).

Groups: ``tickets.team.<id>`` (every agent console of the team) and ``tickets.agent.<id>`` (one
agent). Customers are not members of these groups; nothing published here goes to a customer, so
internal notes may appear in these payloads.
"""

from __future__ import annotations

from typing import Any

from contactcenter.core.events import publish_many_on_commit
from tickets import hooks
from tickets.models import Ticket, TimelineEntry

CREATED = "ticket.created"
UPDATED = "ticket.updated"
ASSIGNED = "ticket.assigned"
UNASSIGNED = "ticket.unassigned"
REDISPATCHED = "ticket.redispatched"
REPLIED = "ticket.replied"
NOTED = "ticket.noted"
URGED = "ticket.urged"
FOLLOW_UP_DUE = "ticket.follow_up_due"
MERGED = "ticket.merged"
LINKED = "ticket.linked"
BULK_UPDATED = "ticket.bulk_updated"


def team_group(team_id: int) -> str:
    return f"tickets.team.{team_id}"


def agent_group(agent_id: int) -> str:
    return f"tickets.agent.{agent_id}"


def summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "stage_id": ticket.stage_id,
        "priority": ticket.priority,
        "team_id": ticket.team_id,
        "assignee_id": ticket.assignee_id,
        "urge_count": ticket.urge_count,
        "updated_at": ticket.updated_at.isoformat(),
    }


def entry_payload(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "author_agent_id": entry.author_agent_id,
        "author_customer_id": entry.author_customer_id,
        "body": entry.body,
        "field": entry.field,
        "old": entry.old_value,
        "new": entry.new_value,
        "event": entry.event,
        "created_at": entry.created_at.isoformat(),
    }


def publish(ticket: Ticket, name: str, *, extra_agents: tuple[int | None, ...] = (), **fields: Any) -> None:
    """Tell the ticket's team and its assignee (plus ``extra_agents``), after commit."""
    event = {"type": name, "ticket": summary(ticket), **fields}
    groups = [team_group(ticket.team_id)]
    agents = {ticket.assignee_id, *extra_agents} - {None}
    groups += [agent_group(agent_id) for agent_id in sorted(a for a in agents if a is not None)]
    publish_many_on_commit([(group, event) for group in groups])
    hooks.emit_on_commit(name, (ticket.pk,), **fields)


def publish_to_agent(agent_id: int, name: str, **fields: Any) -> None:
    publish_many_on_commit([(agent_group(agent_id), {"type": name, **fields})])


def publish_to_team(team_id: int, name: str, **fields: Any) -> None:
    publish_many_on_commit([(team_group(team_id), {"type": name, **fields})])
