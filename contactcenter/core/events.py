"""Publishing domain events to channel-layer groups, only after the writing transaction commits."""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

Event = tuple[str, dict[str, Any]]

# When a caller on the event loop collects events, a service run in a worker thread hands its
# events back instead of hopping to the loop once per event (asgiref copies the context).
_collector: contextvars.ContextVar[list[Event] | None] = contextvars.ContextVar("cc_event_collector", default=None)


def publish_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to ``group`` once the current transaction commits (at once outside one)."""
    publish_many_on_commit([(group, event)])


def publish_many_on_commit(events: list[Event]) -> None:
    """Like :func:`publish_on_commit` for many events at once: one hop to the event loop instead of one per event."""
    if not events:
        return
    collector = _collector.get()
    if collector is not None:
        transaction.on_commit(lambda: collector.extend(events))
    else:
        transaction.on_commit(lambda: _send_many_now(events))


def _send_many_now(events: list[Event]) -> None:
    if get_channel_layer() is not None:
        async_to_sync(send_collected)(events)


@contextlib.contextmanager
def collecting() -> Iterator[list[Event]]:
    """Collect events published (after commit) inside this block instead of sending them."""
    events: list[Event] = []
    token = _collector.set(events)
    try:
        yield events
    finally:
        _collector.reset(token)


async def send_collected(events: list[Event]) -> None:
    """Send events gathered by :func:`collecting`, in commit order, from the event loop."""
    layer = get_channel_layer()
    if layer is None:
        return
    for group, event in events:
        try:
            await layer.group_send(group, event)
        except Exception:
            logger.exception("group_send to %s failed", group)
