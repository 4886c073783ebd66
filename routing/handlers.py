"""Handlers that the owners of a kind of work (chat, telephony, tickets) register, so routing never imports them.

Handlers for ``offered``, ``assigned``, ``overflowed`` and ``abandoned`` run inside the routing
transaction (the owner's own writes, e.g. a conversation's assignee, commit or roll back with the
assignment; publish their events with ``publish_on_commit``). ``position_changed`` runs after commit:
it only tells waiting customers where they stand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from routing.models import Queue, QueueEntry


@dataclass(frozen=True, slots=True)
class RoutingEvent:
    """What happened to one entry. ``agent_ids``: offered/assigned agents; ``target``: the overflow queue."""

    name: str  # offered | assigned | overflowed | abandoned | position_changed
    entry: QueueEntry
    agent_ids: tuple[int, ...] = ()
    target: Queue | None = None
    position: int | None = None
    eta_s: int | None = None
    via: str = ""  # offered/assigned by: a strategy name, "take", "transfer", "supervisor"


Handler = Callable[[RoutingEvent], None]
EVENT_NAMES = ("offered", "assigned", "overflowed", "abandoned", "position_changed")


@dataclass(slots=True)
class _KindHandlers:
    by_event: dict[str, Handler] = field(default_factory=dict)


_registry: dict[str, _KindHandlers] = {}


def register(
    kind: str,
    *,
    offered: Handler | None = None,
    assigned: Handler | None = None,
    overflowed: Handler | None = None,
    abandoned: Handler | None = None,
    position_changed: Handler | None = None,
) -> None:
    """Register (or replace) the handlers of one kind; an owner calls this from its AppConfig.ready()."""
    given = {
        "offered": offered,
        "assigned": assigned,
        "overflowed": overflowed,
        "abandoned": abandoned,
        "position_changed": position_changed,
    }
    _registry[kind] = _KindHandlers({name: handler for name, handler in given.items() if handler is not None})


def unregister(kind: str) -> None:
    _registry.pop(kind, None)


def wants(kind: str, name: str) -> bool:
    handlers = _registry.get(kind)
    return handlers is not None and name in handlers.by_event


def notify(event: RoutingEvent) -> None:
    """Call the handler of the entry's kind for this event, if one is registered."""
    handlers = _registry.get(event.entry.kind)
    if handlers is not None and (handler := handlers.by_event.get(event.name)) is not None:
        handler(event)
