"""Snapshots the engine decides on (agents, work items, customer history) and the decisions it returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType


class AgentStatus(StrEnum):
    """Presence as the agent set it; only ``online`` agents are offered work."""

    ONLINE = "online"
    AWAY = "away"
    BUSY = "busy"
    OFFLINE = "offline"


class WorkKind(StrEnum):
    """What is being routed; capacity, load and today's count are kept per kind."""

    CHAT = "chat"
    CALL = "call"
    TICKET = "ticket"


class Outcome(StrEnum):
    OFFER = "offer"  # offer to ``agent_ids`` (one, or all of them for ring-all)
    WAIT = "wait"  # keep waiting until ``wait_until`` for a particular agent (returning customer)
    NONE_ELIGIBLE = "none_eligible"  # nobody can take it now; stays queued


#: Concurrent work per kind when a snapshot does not say (chat 5, one call at a time, 20 open tickets).
DEFAULT_CAPACITY: Mapping[WorkKind, int] = MappingProxyType({WorkKind.CHAT: 5, WorkKind.CALL: 1, WorkKind.TICKET: 20})
_EMPTY: Mapping[WorkKind, int] = MappingProxyType({})
_KINDS = frozenset(WorkKind)

MIN_SKILL_LEVEL = 1
MAX_SKILL_LEVEL = 5


def _check_levels(owner: str, levels: Mapping[str, int]) -> None:
    for skill, level in levels.items():
        if not isinstance(level, int) or not MIN_SKILL_LEVEL <= level <= MAX_SKILL_LEVEL:
            raise ValueError(f"{owner}: skill {skill!r} has level {level!r}; levels run from {MIN_SKILL_LEVEL} to {MAX_SKILL_LEVEL}")


def _check_counts(owner: str, what: str, counts: Mapping[WorkKind, int]) -> None:
    for kind, count in counts.items():
        if kind not in _KINDS:
            raise ValueError(f"{owner}: {what} names unknown work kind {kind!r}")
        if count < 0:
            raise ValueError(f"{owner}: {what} for {kind} is negative ({count})")


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSnapshot:
    """One agent as the dispatcher read it. ``load`` counts accepted work plus outstanding offers.

    Mappings are treated as read-only; the engine copies what it changes.
    """

    id: int
    status: AgentStatus
    pause_reason: str | None = None  # set while paused (lunch, training...): not offered work
    team_ids: frozenset[int] = frozenset()
    skills: Mapping[str, int] = field(default_factory=dict)  # skill slug -> level 1..5
    languages: frozenset[str] = frozenset()
    capacity: Mapping[WorkKind, int] = field(default_factory=lambda: DEFAULT_CAPACITY)
    load: Mapping[WorkKind, int] = field(default_factory=lambda: _EMPTY)
    today_count: Mapping[WorkKind, int] = field(default_factory=lambda: _EMPTY)
    last_assigned_at: datetime | None = None
    last_call_ended_at: datetime | None = None
    wrap_up_until: datetime | None = None
    linear_position: int = 0  # order for linear ("hunt") ringing; ties by id

    def __post_init__(self) -> None:
        owner = f"agent {self.id}"
        # Django model fields hand over plain strings; the engine compares enum members by identity.
        object.__setattr__(self, "status", AgentStatus(self.status))
        _check_levels(owner, self.skills)
        _check_counts(owner, "capacity", self.capacity)
        _check_counts(owner, "load", self.load)
        _check_counts(owner, "today_count", self.today_count)


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """Where a contact came from, for source-based rules (来源分配)."""

    channel_id: int | None = None
    page_url: str = ""
    first_message: str = ""
    customer_tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkItem:
    """One waiting entry. Routing knows it only by kind and id plus these fields."""

    id: int
    kind: WorkKind
    queue_id: int
    enqueued_at: datetime
    required_skills: Mapping[str, int] = field(default_factory=dict)  # skill slug -> minimum level
    language: str | None = None
    priority: int = 0  # higher is served first
    source: Source = Source()
    customer_id: int | None = None
    # Agents who declined or let an offer for this item time out: the next decision moves on.
    excluded_agent_ids: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", WorkKind(self.kind))
        _check_levels(f"item {self.id}", self.required_skills)


@dataclass(frozen=True, slots=True)
class LastService:
    """The agent who last served a customer, and when (熟客: returning-customer routing)."""

    agent_id: int
    served_at: datetime


@dataclass(frozen=True, slots=True)
class QueueState:
    """Engine state persisted per queue between decisions: the round-robin pointer."""

    last_agent_id: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one item, and the queue state to persist with it."""

    item_id: int
    queue_id: int
    kind: WorkKind
    outcome: Outcome
    state: QueueState
    agent_ids: tuple[int, ...] = ()
    wait_until: datetime | None = None
    via: str = ""  # the strategy that decided, e.g. "returning_customer" or "least_load (fallback)"

    @property
    def agent_id(self) -> int | None:
        """The single agent offered, or the first of a ring-all set."""
        return self.agent_ids[0] if self.agent_ids else None
