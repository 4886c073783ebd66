"""After-commit hooks on ticket desk events, for the desk's own listeners (SLA clocks, automation rules,
the e-mail channel). Not Django signals: the services call :func:`emit_on_commit` explicitly (through
:func:`tickets.events.publish`), and a listener registers in its ``AppConfig.ready()``.

A handler runs after the writing transaction commits, in the same thread; one that fails is logged
and the others still run. Slow work (sending mail, calling a webhook) belongs in a task the handler
enqueues, not in the handler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """``name`` is a :mod:`tickets.events` name (``ticket.created``, ``ticket.replied`` ...); a bulk change is
    one event naming every ticket it touched."""

    name: str
    ticket_ids: tuple[int, ...]
    fields: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[TicketEvent], None]
_handlers: dict[str, Handler] = {}


def subscribe(name: str, handler: Handler) -> None:
    """Register (or replace) a listener under a name (re-registering on reload keeps one copy)."""
    _handlers[name] = handler


def unsubscribe(name: str) -> None:
    _handlers.pop(name, None)


def emit_on_commit(name: str, ticket_ids: tuple[int, ...], **fields: Any) -> None:
    if not _handlers:
        return
    event = TicketEvent(name=name, ticket_ids=ticket_ids, fields=fields)
    transaction.on_commit(lambda: run(event))


def run(event: TicketEvent) -> None:
    for name, handler in list(_handlers.items()):
        try:
            handler(event)
        except Exception:
            logger.exception("ticket hook %s failed on %s for %s", name, event.name, event.ticket_ids)
