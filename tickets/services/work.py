"""Working a ticket: field changes (each audited), public replies, internal notes, attachments, solve / close / reopen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from contactcenter.core.customers.models import Customer
from contactcenter.core.errors import Forbidden, InvalidInput
from contactcenter.core.staff.models import AgentProfile, Team
from tickets import access, events, search
from tickets.access import Actor
from tickets.errors import MergeRefused, TicketClosed
from tickets.fields import clean_custom_fields
from tickets.models import Priority, Stage, Status, Ticket, TicketAttachment, TicketType, TimelineEntry
from tickets.models.ticket import ROUTING_PRIORITY
from tickets.services import _common as common
from tickets.services import routing_bridge
from tickets.services._common import UNSET, Unset
from tickets.services.dispatch import give_to

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class AttachmentUpload:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def update_ticket(
    *,
    ticket_id: int,
    actor: Actor,
    now: datetime,
    subject: str | Unset = UNSET,
    description: str | Unset = UNSET,
    ticket_type: TicketType | Unset | None = UNSET,
    category: str | Unset = UNSET,
    priority: str | Unset = UNSET,
    stage: Stage | Unset = UNSET,
    team: Team | Unset = UNSET,
    due_at: datetime | Unset | None = UNSET,
    tags: Sequence[str] | Unset = UNSET,
    custom_fields: dict[str, Any] | Unset = UNSET,
    collaborators: Sequence[AgentProfile] | Unset = UNSET,
    followers: Sequence[AgentProfile] | Unset = UNSET,
) -> Ticket:
    """Change any of the given fields (the rest stay); every change is one field_change entry with who and when.

    A stage that is ``closing`` solves the ticket, an open stage reopens it; a new team moves the
    ticket to that team's first stage (unless a stage is given) and drops an assignee who is not in it."""
    access.require_agent(actor)
    with transaction.atomic():
        ticket = common.lock_ticket(actor=actor, ticket_id=ticket_id, routing=True)
        if ticket.merged_into_id is not None:
            raise MergeRefused(_("This ticket was merged; change the ticket it was merged into."))
        audit: list[TimelineEntry] = []
        fields: set[str] = set()

        def put(name: str, new: Any, *, old: Any = None, column: str | None = None) -> None:
            old = getattr(ticket, name) if old is None else old
            if old == new:
                return
            audit.append(common.change(ticket, name, old, new, actor=actor, now=now))
            setattr(ticket, name, new)
            fields.add(column or name)

        if not isinstance(subject, Unset):
            put("subject", common.clean_subject(subject))
        if not isinstance(description, Unset):
            put("description", description.strip()[: common.MAX_BODY])
        if not isinstance(category, Unset):
            put("category", category.strip()[:100])
        if not isinstance(priority, Unset):
            if priority not in Priority.values:
                raise InvalidInput(_("Unknown priority."), fields={"priority": _("Choose low, normal, high or urgent.")})
            put("priority", priority)
        if not isinstance(due_at, Unset):
            put("due_at", due_at)
        if not isinstance(team, Unset) and team.pk != ticket.team_id:
            if isinstance(actor, AgentProfile) and not access.can_work_for_team(actor, team):
                raise Forbidden()
            put("team", team)
            if isinstance(stage, Unset):
                put("stage", common.first_open_stage(team) if ticket.is_open else common.closed_stage(team))
            if ticket.assignee is not None and not access.can_work_for_team(ticket.assignee, team):
                give_to(ticket, None, actor=actor, now=now, via="team_changed")
        if not isinstance(ticket_type, Unset) and ticket_type != ticket.type:
            schema = ticket_type.field_schema if ticket_type else []
            names = {spec["name"] for spec in schema}
            kept = {k: v for k, v in ticket.custom_fields.items() if k in names}
            given = {} if isinstance(custom_fields, Unset) else custom_fields
            put("type", ticket_type)
            put("custom_fields", clean_custom_fields(schema=schema, values={**kept, **given}), old=dict(ticket.custom_fields))
            custom_fields = UNSET
        if not isinstance(custom_fields, Unset):
            schema = ticket.type.field_schema if ticket.type else []
            merged = {**ticket.custom_fields, **clean_custom_fields(schema=schema, values=custom_fields, partial=True)}
            put("custom_fields", merged, old=dict(ticket.custom_fields))
        status_before = ticket.status
        if not isinstance(stage, Unset) and stage.pk != ticket.stage_id:
            if stage.team_id != ticket.team_id:
                raise InvalidInput(_("This stage belongs to another team."), fields={"stage": _("Pick a stage of the ticket's team.")})
            put("stage", stage)
            if stage.closing and ticket.status == Status.OPEN:
                _set_status(ticket, Status.SOLVED, actor=actor, now=now, audit=audit, fields=fields)
            elif not stage.closing and ticket.status != Status.OPEN:
                _set_status(ticket, Status.OPEN, actor=actor, now=now, audit=audit, fields=fields)
        if "subject" in fields or "description" in fields:
            ticket.search_text = search.merge(ticket.search_text, ticket.subject, ticket.description)
            fields.add("search_text")
        if fields:
            ticket.updated_at = now
            ticket.save(update_fields=sorted({*fields, "updated_at"}))
        if not isinstance(tags, Unset):
            old_tags = sorted(ticket.tags.values_list("name", flat=True))
            new_tags = common.tags_named(tags)
            if old_tags != [t.name for t in new_tags]:
                ticket.tags.set(new_tags)
                audit.append(common.change(ticket, "tags", old_tags, [t.name for t in new_tags], actor=actor, now=now))
        for name, people in (("collaborators", collaborators), ("followers", followers)):
            if isinstance(people, Unset):
                continue
            manager = getattr(ticket, name)
            old_ids = sorted(manager.values_list("pk", flat=True))
            new_ids = sorted({p.pk for p in people})
            if old_ids != new_ids:
                manager.set(new_ids)
                audit.append(common.change(ticket, name, old_ids, new_ids, actor=actor, now=now))
        _after_status(ticket, status_before, now=now)
        common.save_entries(audit)
        if audit:
            events.publish(ticket, events.UPDATED, changes=sorted({e.field for e in audit}))
    return ticket


def _set_status(ticket: Ticket, status: str, *, actor: Actor, now: datetime, audit: list[TimelineEntry], fields: set[str]) -> None:
    audit.append(common.change(ticket, "status", ticket.status, status, actor=actor, now=now))
    ticket.status = status
    fields.add("status")
    if status == Status.SOLVED:
        ticket.solved_at = now
        fields.add("solved_at")
    elif status == Status.CLOSED:
        ticket.closed_at = now
        ticket.solved_at = ticket.solved_at or now
        fields |= {"closed_at", "solved_at"}
    else:
        ticket.solved_at = ticket.closed_at = None
        fields |= {"solved_at", "closed_at"}


def _after_status(ticket: Ticket, before: str, *, now: datetime) -> None:
    """Routing load follows the status: a done ticket frees its agent's slot, a reopened one takes it again."""
    if before == Status.OPEN and ticket.status != Status.OPEN:
        routing_bridge.release(ticket_ids=[ticket.pk], now=now)
    elif before != Status.OPEN and ticket.status == Status.OPEN and ticket.assignee_id is not None:
        routing_bridge.hold(
            assignments={ticket.pk: (ticket.assignee_id, ticket.team)}, now=now, priority=ROUTING_PRIORITY[Priority(ticket.priority)]
        )


def _move_status(*, ticket_id: int, actor: Actor, now: datetime, status: str) -> Ticket:
    with transaction.atomic():
        ticket = common.lock_ticket(actor=actor, ticket_id=ticket_id, routing=True)
        if ticket.merged_into_id is not None:
            raise MergeRefused(_("This ticket was merged into another one."))
        if ticket.status == status:
            return ticket
        before = ticket.status
        audit: list[TimelineEntry] = []
        fields: set[str] = set()
        _set_status(ticket, status, actor=actor, now=now, audit=audit, fields=fields)
        stage = {Status.SOLVED: common.solved_stage, Status.CLOSED: common.closed_stage}.get(Status(status), common.first_open_stage)(
            ticket.team
        )
        needs_stage = (status == Status.OPEN and ticket.stage.closing) or (status != Status.OPEN and not ticket.stage.closing)
        if status == Status.CLOSED and ticket.stage_id != stage.pk:
            needs_stage = True
        if needs_stage and stage.pk != ticket.stage_id:
            audit.append(common.change(ticket, "stage", ticket.stage, stage, actor=actor, now=now))
            ticket.stage = stage
            fields.add("stage")
        ticket.updated_at = now
        ticket.save(update_fields=sorted({*fields, "updated_at"}))
        _after_status(ticket, before, now=now)
        common.save_entries(audit)
        events.publish(ticket, events.UPDATED, changes=["status"])
    return ticket


def solve_ticket(*, ticket_id: int, actor: Actor, now: datetime) -> Ticket:
    """Solved: moved to the team's first closing stage; the assignee's routing slot is freed."""
    access.require_agent(actor)
    return _move_status(ticket_id=ticket_id, actor=actor, now=now, status=Status.SOLVED)


def close_ticket(*, ticket_id: int, actor: Actor, now: datetime) -> Ticket:
    """Closed: moved to the team's last closing stage (solved as well, if it was not)."""
    access.require_agent(actor)
    return _move_status(ticket_id=ticket_id, actor=actor, now=now, status=Status.CLOSED)


def reopen_ticket(*, ticket_id: int, actor: Actor, now: datetime) -> Ticket:
    """Open again (agents, or the customer on their own ticket): the first open stage; the assignee holds it again."""
    return _move_status(ticket_id=ticket_id, actor=actor, now=now, status=Status.OPEN)


def reply(*, ticket_id: int, actor: Actor, body: str, now: datetime, attachments: Sequence[AttachmentUpload] = ()) -> TimelineEntry:
    """A public reply (agent to customer, or the customer's own). A customer's reply reopens a solved ticket."""
    return _post(ticket_id=ticket_id, actor=actor, body=body, now=now, attachments=attachments, kind=TimelineEntry.Kind.PUBLIC_REPLY)


def add_note(*, ticket_id: int, actor: Actor, body: str, now: datetime, attachments: Sequence[AttachmentUpload] = ()) -> TimelineEntry:
    """An internal note: agents only; never shown to the customer (nor indexed for search)."""
    access.require_agent(actor)
    return _post(ticket_id=ticket_id, actor=actor, body=body, now=now, attachments=attachments, kind=TimelineEntry.Kind.INTERNAL_NOTE)


def _post(*, ticket_id: int, actor: Actor, body: str, now: datetime, attachments: Sequence[AttachmentUpload], kind: str) -> TimelineEntry:
    body = common.clean_body(body)
    for upload in attachments:
        if len(upload.content) > MAX_ATTACHMENT_BYTES:
            raise InvalidInput(_("An attachment is too large."), fields={"attachments": upload.filename})
    with transaction.atomic():
        ticket = common.lock_ticket(actor=actor, ticket_id=ticket_id, routing=isinstance(actor, Customer))
        if ticket.merged_into_id is not None or ticket.status == Status.CLOSED:
            raise TicketClosed()
        entry = TimelineEntry.objects.create(ticket=ticket, kind=kind, body=body, created_at=now, **common.author_fields(actor))
        for upload in attachments:
            stored = TicketAttachment(
                ticket=ticket,
                entry=entry,
                filename=upload.filename[:255],
                content_type=upload.content_type[:100],
                size=len(upload.content),
                created_at=now,
            )
            stored.file.save(f"{entry.pk}-{upload.filename[:200]}", ContentFile(upload.content), save=False)
            stored.save()
        fields = {"updated_at"}
        ticket.updated_at = now
        if kind == TimelineEntry.Kind.PUBLIC_REPLY:
            ticket.search_text = search.merge(ticket.search_text, body)
            fields.add("search_text")
        ticket.save(update_fields=sorted(fields))
        followers = tuple(ticket.followers.values_list("pk", flat=True))
        name = events.REPLIED if kind == TimelineEntry.Kind.PUBLIC_REPLY else events.NOTED
        events.publish(ticket, name, extra_agents=followers, entry=events.entry_payload(entry))
        if isinstance(actor, Customer) and ticket.status == Status.SOLVED:
            reopen_ticket(ticket_id=ticket.pk, actor=actor, now=now)
    return entry
