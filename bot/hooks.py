"""Where other apps plug into the bot: the ticket desk registers how the bot creates a ticket and
looks one up (the bot may not import tickets, so tickets calls in, from its AppConfig.ready)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TranscriptLine:
    """One message of the bot conversation the ticket comes from."""

    speaker: str  # "customer" | "bot"
    text: str
    at: datetime | None = None


@dataclass(frozen=True)
class TicketRequest:
    """A ticket the bot wants opened. Fields are validated by the caller: ``subject`` is 1-200
    characters, at least one of ``email`` / ``phone`` is given and well-formed."""

    subject: str
    email: str
    phone: str
    language: str  # "zh" | "en"
    transcript: tuple[TranscriptLine, ...] = ()
    # Our chat conversation when the bot talked through it (Rasa sender "cc-<id>"), else None.
    conversation_id: int | None = None
    # Who asked, as the bot knows them (the Rasa sender id).
    requester_ref: str = ""
    # The same key twice is a retried request: return the ticket made the first time.
    idempotency_key: str = ""
    source: str = "bot"


@dataclass(frozen=True)
class TicketReceipt:
    number: str  # what the customer quotes back, e.g. "T-1042"
    status: str = "open"


@dataclass(frozen=True)
class TicketLookup:
    """A status question. ``email`` / ``phone`` are what the asker gave: a backend should answer
    only when they match the ticket's contact (or no contact was given and it chooses to), and
    return None otherwise, so ticket numbers cannot be probed."""

    number: str
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class TicketStatus:
    number: str
    status: str  # a stable code: open, pending, solved, closed ...
    label: str  # the status in the asker's language, as the customer should read it
    updated_at: datetime | None = None


CreateTicket = Callable[[TicketRequest], TicketReceipt]
TicketStatusOf = Callable[[TicketLookup], "TicketStatus | None"]


@dataclass(frozen=True)
class TicketBackend:
    """``create`` and ``status`` run in a worker thread with database access (never in an event
    loop). Raise contactcenter.core.errors.ContactCenterError for a refusal the customer should
    read (its message is shown); any other exception is logged and reported as a failure."""

    create: CreateTicket
    status: TicketStatusOf
    name: str = field(default="")


_lock = threading.Lock()
_ticket_backend: TicketBackend | None = None


def register_ticket_backend(*, create: CreateTicket, status: TicketStatusOf, name: str = "") -> TicketBackend:
    """Install the ticket desk's functions (replacing any installed before)."""
    global _ticket_backend
    backend = TicketBackend(create=create, status=status, name=name)
    with _lock:
        if _ticket_backend is not None and _ticket_backend.name != name:
            logger.warning("ticket backend %r replaces %r", name, _ticket_backend.name)
        _ticket_backend = backend
    return backend


def unregister_ticket_backend() -> None:
    global _ticket_backend
    with _lock:
        _ticket_backend = None


def ticket_backend() -> TicketBackend | None:
    """The installed ticket desk, or None: this server has no ticket desk (ticket actions say so)."""
    return _ticket_backend
