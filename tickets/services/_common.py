"""Shared pieces of the ticket services: numbers, default stages, locking, audit entries, validation."""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from contactcenter.core.customers.models import Customer
from contactcenter.core.errors import InvalidInput, NotFound
from contactcenter.core.staff.models import AgentProfile, Team
from tickets import access
from tickets.access import Actor, SystemActor
from tickets.models import Stage, Tag, Ticket, TicketCounter, TimelineEntry
from tickets.services import routing_bridge

NUMBER_PREFIX = "T-"
MAX_BODY = 100_000


class Unset(enum.Enum):
    UNSET = "unset"


UNSET: Literal[Unset.UNSET] = Unset.UNSET


# -- numbers ---------------------------------------------------------------------------------------


def next_number() -> str:
    """The next ticket number (``T-000123``): the counter row is locked until the creating transaction ends."""
    TicketCounter.objects.get_or_create(prefix=NUMBER_PREFIX)
    TicketCounter.objects.filter(prefix=NUMBER_PREFIX).update(last_value=F("last_value") + 1)
    value = TicketCounter.objects.filter(prefix=NUMBER_PREFIX).values_list("last_value", flat=True).get()
    return f"{NUMBER_PREFIX}{value:06d}"


# -- stages ----------------------------------------------------------------------------------------


def team_stages(team: Team) -> list[Stage]:
    """The team's stages in order; a team without any gets the default four on first use."""
    stages = list(Stage.objects.filter(team=team).order_by("position", "id"))
    if stages:
        return stages
    defaults = [
        (_("New"), False, False),
        (_("In progress"), False, False),
        (_("Solved"), False, True),
        (_("Closed"), True, True),
    ]
    try:
        with transaction.atomic():
            Stage.objects.bulk_create(
                [
                    Stage(team=team, name=name, position=n, folded=folded, closing=closing)
                    for n, (name, folded, closing) in enumerate(defaults)
                ]
            )
    except IntegrityError:  # another process made them a moment ago
        pass
    return list(Stage.objects.filter(team=team).order_by("position", "id"))


def first_open_stage(team: Team) -> Stage:
    stages = team_stages(team)
    return next((s for s in stages if not s.closing), stages[0])


def solved_stage(team: Team) -> Stage:
    """Where solving puts a ticket: the first closing stage."""
    stages = team_stages(team)
    return next((s for s in stages if s.closing), stages[-1])


def closed_stage(team: Team) -> Stage:
    """Where closing puts a ticket: the last closing stage."""
    stages = team_stages(team)
    return next((s for s in reversed(stages) if s.closing), stages[-1])


# -- locking and actors ----------------------------------------------------------------------------


def lock_ticket(*, actor: Actor, ticket_id: int, routing: bool = False) -> Ticket:
    """The ticket locked for update if ``actor`` may see it (NotFound otherwise); with ``routing``, its
    routing entries are locked first (the lock order routing's handlers use)."""
    if routing:
        routing_bridge.lock_entries([ticket_id])
    return access.access_ticket(actor=actor, ticket_id=ticket_id, lock=True)


def lock_tickets(*, actor: Actor, ticket_ids: Collection[int]) -> list[Ticket]:
    """All of them locked (entries first, then tickets in id order), or NotFound if any is missing or hidden."""
    ids = sorted(set(ticket_ids))
    routing_bridge.lock_entries(ids)
    tickets = list(access.visible_tickets(actor).select_for_update().filter(pk__in=ids).order_by("id"))
    if len(tickets) != len(ids):
        raise NotFound()
    return tickets


def author_fields(actor: Actor) -> dict[str, Any]:
    if isinstance(actor, AgentProfile):
        return {"author_agent": actor}
    if isinstance(actor, Customer):
        return {"author_customer": actor}
    return {}


def actor_agent_id(actor: Actor) -> int | None:
    return actor.pk if isinstance(actor, AgentProfile) else None


def is_system(actor: Actor) -> bool:
    return isinstance(actor, SystemActor)


# -- audit -----------------------------------------------------------------------------------------


def ref(obj: Any) -> Any:
    """A JSON value for the audit log: models as {"id", "name"}, datetimes as ISO text."""
    if obj is None:
        return None
    if isinstance(obj, datetime):
        return obj.isoformat()
    if hasattr(obj, "pk"):
        name = getattr(obj, "display_name", None) or getattr(obj, "name", None) or str(obj)
        return {"id": obj.pk, "name": str(name)}
    return obj


def change(ticket: Ticket, field: str, old: Any, new: Any, *, actor: Actor, now: datetime) -> TimelineEntry:
    return TimelineEntry(
        ticket=ticket,
        kind=TimelineEntry.Kind.FIELD_CHANGE,
        field=field,
        old_value=ref(old),
        new_value=ref(new),
        created_at=now,
        **author_fields(actor),
    )


def system(ticket: Ticket, event: str, *, actor: Actor, now: datetime, body: str = "", data: Any = None) -> TimelineEntry:
    return TimelineEntry(
        ticket=ticket, kind=TimelineEntry.Kind.SYSTEM, event=event, body=body, new_value=data, created_at=now, **author_fields(actor)
    )


def save_entries(entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    entries = list(entries)
    return TimelineEntry.objects.bulk_create(entries) if entries else []


# -- input -----------------------------------------------------------------------------------------


def clean_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        raise InvalidInput(_("Give the ticket a subject."), fields={"subject": _("This field is required.")})
    if len(subject) > 200:
        raise InvalidInput(_("The subject is too long."), fields={"subject": _("At most 200 characters.")})
    return subject


def clean_body(body: str, *, field: str = "body") -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_("Write something first."), fields={field: _("This field is required.")})
    if len(body) > MAX_BODY:
        raise InvalidInput(_("The text is too long."), fields={field: _("At most %(n)d characters.") % {"n": MAX_BODY}})
    return body


def clean_tag_names(names: Iterable[str]) -> list[str]:
    cleaned: dict[str, None] = {}
    for name in names:
        tag = " ".join(str(name).split()).lower()[:64]
        if tag:
            cleaned.setdefault(tag, None)
    return list(cleaned)


def tags_named(names: Iterable[str]) -> list[Tag]:
    wanted = clean_tag_names(names)
    if not wanted:
        return []
    Tag.objects.bulk_create([Tag(name=name) for name in wanted], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=wanted).order_by("name"))
