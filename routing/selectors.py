"""Reads for consoles, widgets and reports: queue positions with estimated waits, agent loads."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from contactcenter.core.staff import selectors as staff_selectors
from contactcenter.core.staff import worktime
from contactcenter.core.staff.models import AgentProfile
from contactcenter.core.staff.selectors import present_agents
from routing.engine import DEFAULT_CAPACITY, WorkKind
from routing.models import AgentRoutingState, Queue, QueueEntry

#: Used until a queue has finished work to learn from.
DEFAULT_HANDLE_S = 180.0
#: How many recently finished entries the average handle time is taken over.
HANDLE_SAMPLE = 50


@dataclass(frozen=True, slots=True)
class Position:
    entry: QueueEntry
    position: int  # 1 = next in line
    eta_s: int  # estimated seconds until an agent takes it


def average_handle_s(*, queue_id: int) -> float:
    """Mean time from assignment to finish over the queue's most recent finished entries."""
    durations = list(
        QueueEntry.objects.filter(queue_id=queue_id, finished_at__isnull=False, assigned_at__isnull=False)
        .annotate(handle=ExpressionWrapper(F("finished_at") - F("assigned_at"), output_field=DurationField()))
        .order_by("-finished_at")
        .values_list("handle", flat=True)[:HANDLE_SAMPLE]
    )
    seconds = [d.total_seconds() for d in durations if isinstance(d, timedelta) and d.total_seconds() >= 0]
    return sum(seconds) / len(seconds) if seconds else DEFAULT_HANDLE_S


def serving_slots(*, queue: Queue, now: datetime | None = None) -> int:
    """Concurrent items the queue's online, present, unpaused agents can hold for its kind."""
    agents = present_agents(now or timezone.now()).filter(status=AgentProfile.Status.ONLINE)
    if queue.team_id is not None:
        agents = agents.filter(teams__id=queue.team_id)
    paused = set(AgentRoutingState.objects.exclude(pause_reason="").values_list("agent_id", flat=True))
    kind = WorkKind(queue.kind)
    slots = 0
    for agent_id, chats in agents.values_list("id", "max_concurrent_chats"):
        if agent_id not in paused:
            slots += chats if kind is WorkKind.CHAT else DEFAULT_CAPACITY[kind]
    return slots


def queue_positions(*, queue_id: int) -> list[Position]:
    """Every live entry of a queue in serving order (priority, then age) with its position and estimated wait.

    The estimate is position × average handle time ÷ serving slots: each slot frees up once per handle time.
    """
    queue = Queue.objects.get(pk=queue_id)
    entries = list(QueueEntry.objects.filter(queue_id=queue_id, status__in=QueueEntry.LIVE).order_by("-priority", "enqueued_at", "id"))
    if not entries:
        return []
    handle_s = average_handle_s(queue_id=queue_id)
    slots = max(1, serving_slots(queue=queue))
    return [Position(entry, n, math.ceil(n * handle_s / slots)) for n, entry in enumerate(entries, start=1)]


def entry_position(*, entry: QueueEntry) -> Position | None:
    for position in queue_positions(queue_id=entry.queue_id):
        if position.entry.pk == entry.pk:
            return position
    return None


def queue_ids_served_by(*, agent_ids: Collection[int], kind: str) -> list[int]:
    """The active queues of this kind whose work these agents may be offered: their teams' queues and those without a team.

    When an agent's slot frees up, these are the queues to dispatch: the most urgent work of any of
    them comes first, not simply more of the queue the finished work came from."""
    if not agent_ids:
        return []
    team_ids = AgentProfile.teams.through.objects.filter(agentprofile_id__in=list(agent_ids)).values_list("team_id", flat=True)
    served = Queue.objects.filter(kind=kind, is_active=True).filter(Q(team__isnull=True) | Q(team_id__in=team_ids))
    return list(served.order_by("id").values_list("id", flat=True))


def waiting_count(*, queue_id: int) -> int:
    return QueueEntry.objects.filter(queue_id=queue_id, status__in=QueueEntry.LIVE).count()


def abandoned_count(*, queue_id: int, since: datetime) -> int:
    return QueueEntry.objects.filter(queue_id=queue_id, status=QueueEntry.Status.ABANDONED, ended_at__gte=since).count()


def is_open(*, queue: Queue, now: datetime) -> bool:
    """Whether the queue's business hours include ``now`` (no hours set: always open), holidays and
    make-up working days included (:mod:`contactcenter.core.staff.worktime`). The owner decides what
    closed means (a message, a ticket)."""
    if queue.business_hours_id is None:
        return True
    return worktime.is_open(staff_selectors.calendar(hours=queue.business_hours), now)
