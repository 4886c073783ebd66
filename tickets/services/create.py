"""Opening tickets: by an agent, the API, the web form or portal (create_ticket), and from a chat (create_from_conversation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contactcenter.core.customers.models import Customer
from contactcenter.core.errors import Forbidden, InvalidInput
from contactcenter.core.staff.models import AgentProfile, Team
from tickets import access, events, search
from tickets.access import Actor
from tickets.fields import clean_custom_fields
from tickets.models import Priority, Source, Ticket, TicketType, TimelineEntry
from tickets.models.ticket import ROUTING_PRIORITY
from tickets.services import _common as common
from tickets.services import routing_bridge

#: Why a chat became a ticket (chat passes one of these).
CONVERSATION_REASONS = ("no_agent", "left_message", "after_hours", "converted", "abandoned")


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    sender: str  # "customer" | "agent" | "bot" | "system"
    body: str
    created_at: datetime | None = None


def create_ticket(
    *,
    actor: Actor,
    team: Team,
    subject: str,
    now: datetime,
    description: str = "",
    customer: Customer | None = None,
    ticket_type: TicketType | None = None,
    category: str = "",
    tags: Sequence[str] = (),
    priority: str = Priority.NORMAL,
    source: str = Source.AGENT,
    custom_fields: dict[str, Any] | None = None,
    due_at: datetime | None = None,
    assignee: AgentProfile | None = None,
    dispatch: bool = False,
    conversation_id: int | None = None,
) -> Ticket:
    """Open a ticket. A customer (portal, web form) opens one for themself only and sets no desk fields.

    ``assignee``: given to that agent at once (capacity-free); else ``dispatch``: routed through the
    team's ticket queue; else it waits in the unassigned pool."""
    if isinstance(actor, Customer):
        if customer is not None and customer.pk != actor.pk:
            raise Forbidden()
        if assignee is not None or tags or due_at is not None or category:
            raise Forbidden(_("Customers cannot set these fields."))
        customer = actor
        priority = Priority.NORMAL
    elif isinstance(actor, AgentProfile) and not access.can_work_for_team(actor, team):
        raise Forbidden()
    if priority not in Priority.values:
        raise InvalidInput(_("Unknown priority."), fields={"priority": _("Choose low, normal, high or urgent.")})
    if source not in Source.values:
        raise InvalidInput(_("Unknown source."), fields={"source": _("Unknown source.")})
    if ticket_type is not None and not ticket_type.is_active:
        raise InvalidInput(_("This ticket type is not in use."), fields={"type": _("This ticket type is not in use.")})
    subject = common.clean_subject(subject)
    description = (description or "").strip()[: common.MAX_BODY]
    values = clean_custom_fields(schema=ticket_type.field_schema if ticket_type else [], values=custom_fields or {})
    with transaction.atomic():
        if assignee is not None:
            access.check_assignable(actor=actor, agent=assignee, team_id=team.pk)
        ticket = Ticket(
            number="",
            subject=subject,
            description=description,
            type=ticket_type,
            category=category.strip()[:100],
            priority=priority,
            stage=common.first_open_stage(team),
            team=team,
            customer=customer,
            source=source,
            conversation_id=conversation_id,
            custom_fields=values,
            due_at=due_at,
            search_text=search.build(subject, description),
            created_at=now,
            updated_at=now,
        )
        with transaction.atomic():  # a failed insert gives its number back: numbers stay gapless
            ticket.number = common.next_number()
            ticket.save()
        if tags:
            ticket.tags.set(common.tags_named(tags))
        entries = [common.system(ticket, "created", actor=actor, now=now, data={"source": source})]
        common.save_entries(entries)
        events.publish(ticket, events.CREATED)
        if assignee is not None:
            _give(ticket, assignee, actor=actor, now=now)
        elif dispatch:
            route(ticket, now=now)
    return ticket


def route(ticket: Ticket, *, now: datetime, note: str = "", exclude_agent_id: int | None = None) -> None:
    """Queue the ticket in its team's ticket queue and dispatch that queue now (routing's handler sets the assignee)."""
    routing_bridge.enqueue(
        ticket_id=ticket.pk,
        team=ticket.team,
        now=now,
        priority=ROUTING_PRIORITY[Priority(ticket.priority)],
        required_skills=dict(ticket.type.required_skills or {}) if ticket.type is not None else {},
        customer_id=ticket.customer_id,
        subject=ticket.subject,
        note=note,
        exclude_agent_id=exclude_agent_id,
    )
    ticket.refresh_from_db(fields=["assignee", "updated_at"])


def _give(ticket: Ticket, agent: AgentProfile, *, actor: Actor, now: datetime) -> None:
    from tickets.services.dispatch import give_to

    give_to(ticket, agent, actor=actor, now=now)


def create_from_conversation(
    *,
    conversation_id: int,
    customer: Customer | None,
    team: Team,
    subject: str,
    transcript: Sequence[TranscriptLine | dict[str, Any]],
    now: datetime,
    source: str = Source.CHAT,
    reason: str = "no_agent",
    by: AgentProfile | None = None,
    dispatch: bool = True,
) -> Ticket:
    """A chat that ended unresolved (nobody in time, a message left, after hours) or that an agent
    converts becomes a ticket with its transcript; returns it (its ``number`` is what the visitor is told).

    Idempotent per conversation: asking again returns the ticket made the first time. The transcript
    must hold only what the visitor saw (never the chat's internal notes): it is kept on the ticket."""
    if reason not in CONVERSATION_REASONS:
        raise InvalidInput(_("Unknown reason."), fields={"reason": ", ".join(CONVERSATION_REASONS)})
    existing = Ticket.objects.filter(conversation_id=conversation_id).first()
    if existing is not None:
        return existing
    lines = [line if isinstance(line, TranscriptLine) else _line(line) for line in transcript]
    said = "\n".join(line.body for line in lines if line.sender == "customer")
    subject = (subject or "").strip() or (said.splitlines()[0] if said else "") or _("Chat %(id)s") % {"id": conversation_id}
    actor: Actor = by if by is not None else access.SYSTEM
    try:
        with transaction.atomic():
            ticket = create_ticket(
                actor=actor,
                team=team,
                subject=subject[:200],
                description=said[:5000],
                customer=customer,
                source=source,
                conversation_id=conversation_id,
                now=now,
                assignee=by,
                dispatch=dispatch and by is None,
            )
            body = "\n".join(f"[{line.created_at.isoformat() if line.created_at else ''}] {line.sender}: {line.body}" for line in lines)
            data = {
                "conversation_id": conversation_id,
                "reason": reason,
                "lines": [
                    {"sender": line.sender, "body": line.body, "created_at": line.created_at.isoformat() if line.created_at else None}
                    for line in lines
                ],
            }
            TimelineEntry.objects.create(
                ticket=ticket,
                kind=TimelineEntry.Kind.SYSTEM,
                event="transcript",
                body=body,
                new_value=data,
                created_at=now,
                **common.author_fields(actor),
            )
            Ticket.objects.filter(pk=ticket.pk).update(search_text=search.merge(ticket.search_text, body))
    except IntegrityError:  # the same conversation, converted by another process a moment ago
        raced = Ticket.objects.filter(conversation_id=conversation_id).first()
        if raced is None:
            raise
        return raced
    return ticket


def _line(data: dict[str, Any]) -> TranscriptLine:
    at = data.get("created_at")
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return TranscriptLine(sender=str(data.get("sender", "customer")), body=str(data.get("body", "")), created_at=at)
