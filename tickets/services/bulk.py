"""Bulk changes on many tickets at once (assign, stage, tags, priority, solve/close, merge) with bulk SQL:
the number of queries does not grow with the number of tickets (it grows with the number of teams)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from contactcenter.core.errors import InvalidInput
from contactcenter.core.staff.models import AgentProfile
from tickets import access, events, hooks
from tickets.access import Actor
from tickets.errors import MergeRefused
from tickets.models import Priority, Stage, Status, Ticket, TimelineEntry
from tickets.services import _common as common
from tickets.services import routing_bridge
from tickets.services._common import UNSET, Unset
from tickets.services.merge import merge_tickets

MAX_BULK = 1000


@dataclass(frozen=True, slots=True)
class BulkResult:
    ticket_ids: list[int]
    changed: int  # field changes written to the timelines


def bulk_update(
    *,
    ticket_ids: Sequence[int],
    actor: Actor,
    now: datetime,
    assignee: AgentProfile | Unset | None = UNSET,
    stage: Stage | Unset = UNSET,
    priority: str | Unset = UNSET,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    status: str | Unset = UNSET,
    merge_into_id: int | None = None,
) -> BulkResult:
    """Apply the same changes to up to MAX_BULK tickets, all or nothing (one hidden ticket: NotFound).

    ``status``: "solved" or "closed" (moved to the team's closing stage) or "open". Each field change
    is audited per ticket; one event per team (and one per new assignee) after commit."""
    access.require_agent(actor)
    ids = sorted(set(ticket_ids))
    if not ids:
        return BulkResult([], 0)
    if len(ids) > MAX_BULK:
        raise InvalidInput(_("At most %(n)d tickets at once.") % {"n": MAX_BULK})
    if merge_into_id is not None:
        merge_tickets(ticket_ids=[i for i in ids if i != merge_into_id], into_id=merge_into_id, actor=actor, now=now)
        return BulkResult(ids, len(ids))
    if not isinstance(priority, Unset) and priority not in Priority.values:
        raise InvalidInput(_("Unknown priority."))
    if not isinstance(status, Unset) and status not in Status.values:
        raise InvalidInput(_("Unknown status."))
    with transaction.atomic():
        tickets = common.lock_tickets(actor=actor, ticket_ids=ids)
        if any(t.merged_into_id is not None for t in tickets):
            raise MergeRefused(_("A merged ticket cannot be changed."))
        teams = {t.team_id: t.team for t in Ticket.objects.filter(pk__in=ids).select_related("team")}
        by_id = {t.pk: t for t in tickets}
        for ticket in tickets:
            ticket.team = teams[ticket.team_id]
        audit: list[TimelineEntry] = []
        stages = {s.pk: s for s in Stage.objects.filter(pk__in={t.stage_id for t in tickets})}
        everything = Ticket.objects.filter(pk__in=ids)

        if not isinstance(assignee, Unset):
            if assignee is not None:
                for team_id in teams:
                    access.check_assignable(actor=actor, agent=assignee, team_id=team_id)
            moving = [t for t in tickets if t.assignee_id != (assignee.pk if assignee else None)]
            olds = {a.pk: a for a in AgentProfile.objects.filter(pk__in={t.assignee_id for t in moving if t.assignee_id})}
            if moving:
                open_moving = [t for t in moving if t.is_open]
                if assignee is not None:
                    routing_bridge.hold(assignments={t.pk: (assignee.pk, t.team) for t in open_moving}, now=now)
                else:
                    routing_bridge.release(ticket_ids=[t.pk for t in moving], now=now)
                Ticket.objects.filter(pk__in=[t.pk for t in moving]).update(assignee=assignee, updated_at=now)
                for t in moving:
                    audit.append(common.change(t, "assignee", olds.get(t.assignee_id or 0), assignee, actor=actor, now=now))
                    t.assignee_id = assignee.pk if assignee else None

        if not isinstance(priority, Unset):
            moving = [t for t in tickets if t.priority != priority]
            Ticket.objects.filter(pk__in=[t.pk for t in moving]).update(priority=priority, updated_at=now)
            audit += [common.change(t, "priority", t.priority, priority, actor=actor, now=now) for t in moving]

        target_status: str | None = None
        target_stage: dict[int, Stage] = {}
        if not isinstance(stage, Unset):
            if any(t.team_id != stage.team_id for t in tickets):
                raise InvalidInput(_("This stage belongs to another team."), fields={"stage": _("Pick a stage of the tickets' team.")})
            target_stage = {stage.team_id: stage}
            target_status = Status.SOLVED if stage.closing else Status.OPEN
        if not isinstance(status, Unset):
            target_status = status
            pick = {Status.SOLVED: common.solved_stage, Status.CLOSED: common.closed_stage}.get(Status(status), common.first_open_stage)
            target_stage = {team_id: target_stage.get(team_id) or pick(team) for team_id, team in teams.items()}
        if target_stage:
            for team_id, new_stage in target_stage.items():
                in_team = [t for t in tickets if t.team_id == team_id]
                stage_keep = not isinstance(status, Unset) and status != Status.CLOSED
                moving_stage = [
                    t
                    for t in in_team
                    if t.stage_id != new_stage.pk and not (stage_keep and stages[t.stage_id].closing == new_stage.closing)
                ]
                Ticket.objects.filter(pk__in=[t.pk for t in moving_stage]).update(stage=new_stage, updated_at=now)
                audit += [common.change(t, "stage", stages[t.stage_id], new_stage, actor=actor, now=now) for t in moving_stage]
        if target_status is not None:
            _bulk_status(tickets, target_status, actor=actor, now=now, audit=audit)

        if add_tags or remove_tags:
            _bulk_tags(tickets, add=add_tags, remove=remove_tags, actor=actor, now=now, audit=audit)
        if audit:
            everything.update(updated_at=now)
        common.save_entries(audit)
        changed_ids: dict[int, list[int]] = defaultdict(list)
        for entry in audit:
            changed_ids[by_id[entry.ticket_id].team_id].append(entry.ticket_id)
        fields = sorted({e.field for e in audit})
        for team_id, team_ticket_ids in sorted(changed_ids.items()):
            events.publish_to_team(team_id, events.BULK_UPDATED, ticket_ids=sorted(set(team_ticket_ids)), changes=fields)
        if not isinstance(assignee, Unset) and assignee is not None:
            events.publish_to_agent(assignee.pk, events.BULK_UPDATED, ticket_ids=ids, changes=["assignee"])
        hooks.emit_on_commit(events.BULK_UPDATED, tuple(ids), changes=fields)
    return BulkResult(ids, len(audit))


def _bulk_status(tickets: list[Ticket], status: str, *, actor: Actor, now: datetime, audit: list[TimelineEntry]) -> None:
    moving = [t for t in tickets if t.status != status]
    if not moving:
        return
    ids = [t.pk for t in moving]
    rows = Ticket.objects.filter(pk__in=ids)
    if status == Status.OPEN:
        rows.update(status=status, solved_at=None, closed_at=None)
        held = {t.pk: (t.assignee_id, t.team) for t in moving if t.assignee_id is not None}
        routing_bridge.hold(assignments={pk: (agent_id, team) for pk, (agent_id, team) in held.items() if agent_id is not None}, now=now)
    else:
        rows.filter(solved_at__isnull=True).update(solved_at=now)
        if status == Status.CLOSED:
            rows.update(status=status, closed_at=now)
        else:
            rows.update(status=status)
        routing_bridge.release(ticket_ids=[t.pk for t in moving if t.status == Status.OPEN], now=now)
    audit += [common.change(t, "status", t.status, status, actor=actor, now=now) for t in moving]


def _bulk_tags(
    tickets: list[Ticket], *, add: Sequence[str], remove: Sequence[str], actor: Actor, now: datetime, audit: list[TimelineEntry]
) -> None:
    through = Ticket.tags.through
    ids = [t.pk for t in tickets]
    current: dict[int, set[str]] = defaultdict(set)
    for ticket_id, name in through.objects.filter(ticket_id__in=ids).values_list("ticket_id", "tag__name"):
        current[ticket_id].add(name)
    adding = common.tags_named(add)
    removing = set(common.clean_tag_names(remove))
    if adding:
        through.objects.bulk_create([through(ticket_id=pk, tag_id=tag.pk) for pk in ids for tag in adding], ignore_conflicts=True)
    if removing:
        through.objects.filter(ticket_id__in=ids, tag__name__in=removing).delete()
    for ticket in tickets:
        before = current[ticket.pk]
        after = (before | {t.name for t in adding}) - removing
        if after != before:
            audit.append(common.change(ticket, "tags", sorted(before), sorted(after), actor=actor, now=now))
