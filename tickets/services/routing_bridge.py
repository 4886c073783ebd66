"""The ticket desk's side of the routing core: the team's ticket queue, and how ticket load is kept.

How ticket load is counted: routing counts an agent's load per kind as their assigned, unfinished
queue entries (plus pending offers). The desk keeps one invariant: **an open ticket with an assignee
has exactly one assigned, unfinished entry of kind "ticket" for that agent; any other ticket has
none.** So least-load and capacity (``DEFAULT_CAPACITY``: 20 tickets, separate from chats and calls)
see every ticket an agent holds, whether routing, a grab or a manual assignment gave it to them.
Solving, closing, merging, reassigning or unassigning finishes the entry (its ``finished_at``);
reopening a ticket that still has an assignee records a new one.

Routing has public calls for queueing and for assignments it makes itself; it has none for an
assignment made elsewhere without a capacity check, for cancelling many entries at once, or for
excluding an agent from a fresh entry. Those few writes to ``routing.models.QueueEntry`` /
``Offer`` live here and nowhere else in tickets (candidates to move into ``routing.services``).
Routing's wrap-up time is not applied to tickets (the desk's queues are made with none).

Lock order, as in routing: queue entries first, then agent routing states, then ticket rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from contactcenter.core.staff.models import AgentProfile, Team
from routing import events as routing_events
from routing import services as routing
from routing.engine import WorkKind
from routing.errors import AtCapacity
from routing.models import AgentRoutingState, Offer, Queue, QueueEntry

KIND = WorkKind.TICKET.value
LIVE = QueueEntry.LIVE


def ticket_queue(*, team: Team) -> Queue:
    """The team's ticket queue: the oldest active one, made on first use (auto-accept: a ticket is
    assigned, not rung; no language matching: tickets are worked in writing, at any time)."""
    queue = Queue.objects.filter(kind=KIND, team_id=team.pk, is_active=True).order_by("id").first()
    if queue is not None:
        return queue
    queue, _created = Queue.objects.get_or_create(
        name=f"{team.name} tickets"[:100],
        defaults={"team_id": team.pk, "kind": KIND, "auto_accept": True, "offer_timeout_s": 0, "match_language": False},
    )
    return queue


def lock_entries(ticket_ids: Collection[int]) -> list[QueueEntry]:
    """Lock every live or held entry of these tickets (first in the lock order)."""
    if not ticket_ids:
        return []
    held = QueueEntry.objects.filter(kind=KIND, item_id__in=list(ticket_ids), status=QueueEntry.Status.ASSIGNED, finished_at__isnull=True)
    live = QueueEntry.objects.filter(kind=KIND, item_id__in=list(ticket_ids), status__in=LIVE)
    return list((held | live).select_for_update().order_by("id"))


def release(*, ticket_ids: Collection[int], now: datetime, keep_entry_id: int | None = None) -> None:
    """Take these tickets out of routing: waiting entries are cancelled (offer holders told), held ones finished."""
    if not ticket_ids:
        return
    ids = list(ticket_ids)
    live = list(QueueEntry.objects.filter(kind=KIND, item_id__in=ids, status__in=LIVE))
    if live:
        pending = Offer.objects.filter(entry__in=live, status=Offer.Status.PENDING)
        holders = list(pending.values_list("entry_id", "agent_id"))
        pending.update(status=Offer.Status.EXPIRED, answered_at=now)
        QueueEntry.objects.filter(pk__in=[e.pk for e in live]).update(status=QueueEntry.Status.CANCELLED, ended_at=now)
        by_id = {e.pk: e for e in live}
        for entry_id, agent_id in holders:
            routing_events.publish(
                routing_events.agent_group(agent_id), routing_events.withdrawn_event(by_id[entry_id], reason="cancelled")
            )
        for queue_id in sorted({e.queue_id for e in live}):
            routing_events.publish(routing_events.queue_group(queue_id), routing_events.queue_changed_event(queue_id))
    held = QueueEntry.objects.filter(kind=KIND, item_id__in=ids, status=QueueEntry.Status.ASSIGNED, finished_at__isnull=True)
    if keep_entry_id is not None:
        held = held.exclude(pk=keep_entry_id)
    held.update(finished_at=now)


def hold(*, assignments: Mapping[int, tuple[int, Team]], now: datetime, priority: int = 0) -> None:
    """Record that each ticket (id → (agent id, team)) is now held by that agent: one assigned entry each."""
    if not assignments:
        return
    release(ticket_ids=list(assignments), now=now)
    queues: dict[int, Queue] = {}
    for _agent_id, team in assignments.values():
        if team.pk not in queues:
            queues[team.pk] = ticket_queue(team=team)
    QueueEntry.objects.bulk_create(
        [
            QueueEntry(
                queue=queues[team.pk],
                kind=KIND,
                item_id=ticket_id,
                status=QueueEntry.Status.ASSIGNED,
                priority=priority,
                enqueued_at=now,
                assigned_agent_id=agent_id,
                assigned_at=now,
                source={"via": "desk"},
            )
            for ticket_id, (agent_id, team) in sorted(assignments.items())
        ]
    )
    AgentRoutingState.objects.filter(agent_id__in={agent_id for agent_id, _team in assignments.values()}).update(last_assigned_at=now)


def lock_agent(agent: AgentProfile) -> None:
    """Lock the agent's routing row (after entries, before tickets), so a capacity check is not raced by a sweep."""
    AgentRoutingState.objects.get_or_create(agent_id=agent.pk)
    AgentRoutingState.objects.select_for_update().filter(agent_id=agent.pk).first()


def check_capacity(agent: AgentProfile) -> None:
    load = routing.agent_loads([agent.pk]).get(agent.pk, {}).get(KIND, 0)
    if load >= routing.capacity_of(agent).get(WorkKind.TICKET, 0):
        raise AtCapacity(_("%(agent)s has no room for more tickets.") % {"agent": agent.display_name})


def enqueue(
    *,
    ticket_id: int,
    team: Team,
    now: datetime,
    priority: int,
    required_skills: dict[str, int],
    customer_id: int | None,
    subject: str,
    note: str = "",
    exclude_agent_id: int | None = None,
) -> QueueEntry:
    """Put the ticket in its team's ticket queue and run one dispatch of that queue (inside this transaction)."""
    queue = ticket_queue(team=team)
    entry = routing.enqueue(
        kind=KIND,
        item_id=ticket_id,
        queue=queue,
        now=now,
        priority=priority,
        required_skills=required_skills,
        source={"first_message": subject[:2000]},
        customer_id=customer_id,
        note=note,
    )
    if exclude_agent_id is not None:
        QueueEntry.objects.filter(pk=entry.pk).update(excluded_agent_ids=[exclude_agent_id])
    routing.dispatch(now=now, queue_ids=[queue.pk])
    return entry


def queue_payload(entry: QueueEntry) -> dict[str, Any]:
    return {"entry_id": entry.pk, "queue_id": entry.queue_id, "status": entry.status}
