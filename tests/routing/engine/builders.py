"""Small builders for engine tests: an agent or an item with only the fields a test cares about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from routing.engine import AgentSnapshot, AgentStatus, QueuePolicy, WorkItem, WorkKind

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def agent(agent_id: int, **fields: Any) -> AgentSnapshot:
    fields.setdefault("status", AgentStatus.ONLINE)
    return AgentSnapshot(id=agent_id, **fields)


def item(item_id: int = 1, **fields: Any) -> WorkItem:
    fields.setdefault("kind", WorkKind.CHAT)
    fields.setdefault("queue_id", 1)
    fields.setdefault("enqueued_at", NOW)
    return WorkItem(id=item_id, **fields)


def policy(strategy: Any = None, **fields: Any) -> QueuePolicy:
    return QueuePolicy(strategy=strategy, **fields) if strategy is not None else QueuePolicy(**fields)
