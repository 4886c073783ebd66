"""SLA writes: recompute a ticket's clocks from its history, and fire due warnings and breaches exactly once."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contactcenter.core.staff import selectors as staff_selectors
from contactcenter.core.staff import worktime
from contactcenter.core.staff.models import AgentProfile
from tickets import events, hooks
from tickets.access import SYSTEM
from tickets.models import Priority, Stage, Status, Ticket, TimelineEntry
from tickets.sla import clocks
from tickets.sla.models import PausingStage, SlaClock, SlaPolicy

logger = logging.getLogger(__name__)

WARNING = "ticket.sla_warning"
BREACHED = "ticket.sla_breached"
_RAISED = {Priority.LOW: Priority.NORMAL, Priority.NORMAL: Priority.HIGH, Priority.HIGH: Priority.URGENT}
_COMPUTED = [
    "policy",
    "target_s",
    "started_at",
    "due_at",
    "warn_at",
    "is_paused",
    "remaining_s",
    "stopped_at",
    "breached_at",
    "computed_at",
]


# -- which policy ----------------------------------------------------------------------------------


def active_policies() -> list[SlaPolicy]:
    return list(
        SlaPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related("teams", "ticket_types")
        .order_by("position", "id")
    )


def policy_for(ticket: Ticket, *, policies: list[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The first active policy (by position) whose scope takes the ticket."""
    customer_tags = set(ticket.customer.tags or []) if ticket.customer is not None else set()
    for policy in active_policies() if policies is None else policies:
        team_ids = {t.pk for t in policy.teams.all()}
        type_ids = {t.pk for t in policy.ticket_types.all()}
        if team_ids and ticket.team_id not in team_ids:
            continue
        if type_ids and ticket.type_id not in type_ids:
            continue
        if policy.priorities and ticket.priority not in policy.priorities:
            continue
        if policy.customer_tags and not customer_tags & set(policy.customer_tags):
            continue
        return policy
    return None


@dataclass(slots=True)
class Setup:
    """What every ticket's recompute reads alike, read once per event (a bulk change names many tickets)."""

    policies: list[SlaPolicy]
    pausing_stage_ids: set[int]
    calendars: dict[int | None, worktime.Calendar] = field(default_factory=dict)
    stages: dict[int, tuple[int, int]] = field(default_factory=dict)  # stage id -> (team id, position)

    @classmethod
    def read(cls) -> Setup:
        return cls(active_policies(), set(PausingStage.objects.values_list("stage_id", flat=True)))

    def calendar(self, policy: SlaPolicy) -> worktime.Calendar:
        if policy.calendar_id not in self.calendars:
            self.calendars[policy.calendar_id] = staff_selectors.calendar(hours=policy.calendar)
        return self.calendars[policy.calendar_id]

    def positions(self, stage_ids: set[int]) -> dict[int, tuple[int, int]]:
        missing = stage_ids - set(self.stages)
        if missing:
            for pk, team, position in Stage.objects.filter(pk__in=missing).values_list("pk", "team_id", "position"):
                self.stages[pk] = (team, position)
        return {pk: self.stages[pk] for pk in stage_ids if pk in self.stages}


# -- history ---------------------------------------------------------------------------------------


def ticket_history(ticket: Ticket) -> tuple[str, int, list[clocks.Step]]:
    """The status and stage the ticket started with and its replies and status/stage changes, in order.

    Entries merged in from other tickets keep their own history: only the ticket's own count."""
    rows = (
        TimelineEntry.objects.filter(ticket_id=ticket.pk)
        .filter(Q(original_ticket_id__isnull=True) | Q(original_ticket_id=ticket.pk))
        .filter(Q(kind=TimelineEntry.Kind.PUBLIC_REPLY) | Q(kind=TimelineEntry.Kind.FIELD_CHANGE, field__in=("status", "stage")))
        .order_by("created_at", "id")
        .values_list("kind", "field", "old_value", "new_value", "author_agent_id", "author_customer_id", "created_at")
    )
    steps: list[clocks.Step] = []
    initial_status: str | None = None
    initial_stage: int | None = None
    for kind, field_name, old, new, agent_id, customer_id, at in rows:
        if kind == TimelineEntry.Kind.PUBLIC_REPLY:
            if agent_id is not None:
                steps.append(clocks.Step(at, "agent_reply"))
            elif customer_id is not None:
                steps.append(clocks.Step(at, "customer_reply"))
        elif field_name == "status" and isinstance(new, str):
            initial_status = initial_status if initial_status is not None else (old if isinstance(old, str) else None)
            steps.append(clocks.Step(at, "status", new))
        elif field_name == "stage" and isinstance(new, dict):
            if initial_stage is None and isinstance(old, dict) and isinstance(old.get("id"), int):
                initial_stage = old["id"]
            if isinstance(new.get("id"), int):
                steps.append(clocks.Step(at, "stage", new["id"]))
    return initial_status or ticket.status, initial_stage or ticket.stage_id, steps


# -- recompute -------------------------------------------------------------------------------------


def recompute_ticket(*, ticket_id: int, now: datetime, setup: Setup | None = None) -> list[SlaClock]:
    """Replay the ticket's history under its policy and store the clocks (fired marks are kept)."""
    setup = setup or Setup.read()
    with transaction.atomic():
        ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first()
        policy = policy_for(ticket, policies=setup.policies) if ticket is not None and ticket.merged_into_id is None else None
        if ticket is None or policy is None or not policy.targets():
            SlaClock.objects.filter(ticket_id=ticket_id).delete()
            return []
        states = _states(ticket, policy, setup=setup, now=now)
        SlaClock.objects.bulk_create(
            [
                SlaClock(ticket=ticket, metric=s.metric, cycle=s.cycle, target_s=s.target_s, started_at=s.started_at, computed_at=now)
                for s in states
            ],
            ignore_conflicts=True,
        )
        # Locked in id order, without SKIP LOCKED: a firing in progress finishes first, and its marks are kept.
        rows = {(c.metric, c.cycle): c for c in SlaClock.objects.select_for_update().filter(ticket_id=ticket.pk).order_by("id")}
        keep = []
        for state in states:
            row = rows.pop((state.metric, state.cycle))
            row.policy = policy
            row.target_s = state.target_s
            row.started_at = state.started_at
            row.due_at = state.due_at
            row.warn_at = state.warn_at
            row.is_paused = state.is_paused
            row.remaining_s = None if state.remaining is None else int(state.remaining.total_seconds() // 1)
            row.stopped_at = state.stopped_at
            # A breach the firing job recorded stays recorded while the clock still runs past it.
            row.breached_at = state.breached_at or (row.breached_at if row.breach_fired_at and state.due_at else None)
            row.computed_at = now
            keep.append(row)
        SlaClock.objects.bulk_update(keep, _COMPUTED)
        if rows:
            SlaClock.objects.filter(pk__in=[r.pk for r in rows.values()]).delete()
    return keep


def _states(ticket: Ticket, policy: SlaPolicy, *, setup: Setup, now: datetime) -> list[clocks.ClockState]:
    initial_status, initial_stage, steps = ticket_history(ticket)
    stage_ids = {initial_stage, ticket.stage_id, *(s.value for s in steps if s.kind == "stage" and isinstance(s.value, int))}
    if policy.target_stage_id is not None:
        stage_ids.add(policy.target_stage_id)
    positions = setup.positions(stage_ids)
    return clocks.compute(
        created_at=ticket.created_at,
        steps=steps,
        initial_status=initial_status,
        initial_stage_id=initial_stage,
        targets=clocks.Targets(
            seconds=policy.targets(),
            warn_before_s=policy.warn_before_s,
            warn_before_percent=policy.warn_before_percent,
            target_stage=positions.get(policy.target_stage_id) if policy.target_stage_id is not None else None,
        ),
        calendar=setup.calendar(policy),
        pausing_stage_ids=setup.pausing_stage_ids,
        stage_positions=positions,
        now=now,
    )


def on_ticket_event(event: hooks.TicketEvent) -> None:
    """The tickets.hooks listener: any change of a ticket recomputes its clocks (our own events aside)."""
    if event.name in (WARNING, BREACHED):
        return
    now = timezone.now()
    ticket_ids = list(event.ticket_ids)
    if event.name == events.MERGED:  # named for the survivor only; the merged ones are closed now
        ticket_ids += [m["id"] for m in event.fields.get("merged") or [] if isinstance(m, dict) and isinstance(m.get("id"), int)]
    setup = Setup.read()
    if not setup.policies:
        # No SLA in use: one query whatever the event names (a bulk change of 500 tickets stays cheap).
        SlaClock.objects.filter(ticket_id__in=list(dict.fromkeys(ticket_ids))).delete()
        return
    for ticket_id in dict.fromkeys(ticket_ids):
        recompute_ticket(ticket_id=ticket_id, now=now, setup=setup)


def recompute_open_tickets(*, now: datetime, ticket_ids: Iterable[int] | None = None) -> int:
    """After a policy, calendar or pausing stage changed: recompute every open ticket (or the given ones)."""
    ids = list(ticket_ids) if ticket_ids is not None else list(Ticket.objects.filter(status=Status.OPEN).values_list("pk", flat=True))
    setup = Setup.read()
    for ticket_id in ids:
        recompute_ticket(ticket_id=ticket_id, now=now, setup=setup)
    return len(ids)


# -- firing ----------------------------------------------------------------------------------------


def fire_due(now: datetime, *, limit: int = 200) -> int:
    """The periodic job: every running clock whose warning or due time has passed fires it, once.

    Each clock fires in its own transaction: its row is locked with SKIP LOCKED (another ticker or
    worker holding it is left to finish), checked again, marked fired and acted on before commit. A
    process killed mid-way rolls back mark and actions together, and the next run fires it."""
    fired = 0
    running = Q(stopped_at__isnull=True, is_paused=False)
    for kind, due in (
        ("warning", Q(warning_fired_at__isnull=True, warn_at__lte=now)),
        ("breach", Q(breach_fired_at__isnull=True, due_at__lte=now)),
    ):
        candidates = list(SlaClock.objects.filter(running & due).order_by("due_at", "id").values_list("pk", flat=True)[:limit])
        for clock_id in candidates:
            try:
                if _fire_one(clock_id=clock_id, kind=kind, due=running & due, now=now):
                    fired += 1
            except Exception:
                # Rolled back with its mark: the next run tries again; the other clocks go on.
                logger.exception("SLA %s of clock %s failed", kind, clock_id)
    return fired


def _fire_one(*, clock_id: int, kind: str, due: Q, now: datetime) -> bool:
    with transaction.atomic():
        clock = (
            SlaClock.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(due, pk=clock_id)
            .select_related("ticket", "policy")
            .first()
        )
        if clock is None:
            return False  # fired, changed or being fired elsewhere
        # Compare-and-set as well as the lock: on SQLite (no row locks) the second writer changes nothing.
        if kind == "warning":
            claimed = SlaClock.objects.filter(pk=clock.pk, warning_fired_at__isnull=True).update(warning_fired_at=now)
        else:
            claimed = SlaClock.objects.filter(pk=clock.pk, breach_fired_at__isnull=True).update(
                breach_fired_at=now, breached_at=clock.due_at
            )
        if not claimed:
            return False
        _announce(clock, kind=kind, now=now)
        if kind == "breach" and clock.policy is not None:
            _escalate(clock, clock.policy, now=now)
    return True


def _announce(clock: SlaClock, *, kind: str, now: datetime) -> None:
    ticket = clock.ticket
    name = WARNING if kind == "warning" else BREACHED
    data = {"metric": clock.metric, "cycle": clock.cycle, "due_at": clock.due_at.isoformat() if clock.due_at else None}
    TimelineEntry.objects.create(
        ticket=ticket,
        kind=TimelineEntry.Kind.SYSTEM,
        event="sla_warning" if kind == "warning" else "sla_breached",
        body=_message(clock.metric, kind),
        new_value=data,
        created_at=now,
    )
    payload: dict[str, Any] = {"ticket": events.summary(ticket), "sla": data}
    events.publish_to_team(ticket.team_id, name, **payload)
    told = {ticket.assignee_id} - {None}
    if kind == "breach" and (clock.policy is None or clock.policy.notify_supervisors):
        told |= set(team_supervisor_ids(ticket.team_id))
    for agent_id in sorted(a for a in told if a is not None):
        events.publish_to_agent(agent_id, name, **payload)
    # Automation rules and other listeners hear it too (after commit, like every ticket event).
    hooks.emit_on_commit(name, (ticket.pk,), metric=clock.metric, clock_id=clock.pk)


def team_supervisor_ids(team_id: int) -> list[int]:
    return list(
        AgentProfile.objects.filter(
            teams__id=team_id, role__in=(AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN), user__is_active=True
        )
        .order_by("id")
        .values_list("pk", flat=True)
    )


def _escalate(clock: SlaClock, policy: SlaPolicy, *, now: datetime) -> None:
    """The policy's breach actions, each on its own savepoint: one that cannot apply does not stop the others."""
    from tickets import services

    ticket = clock.ticket
    if policy.raise_priority and ticket.priority in _RAISED:
        try:
            with transaction.atomic():
                services.update_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=now, priority=_RAISED[Priority(ticket.priority)])
        except Exception:
            logger.exception("SLA breach of %s: raising the priority failed", ticket.pk)
    if policy.redispatch and ticket.is_open:
        try:
            with transaction.atomic():
                services.redispatch_ticket(
                    ticket_id=ticket.pk,
                    actor=SYSTEM,
                    reason=_("SLA breached: %(metric)s") % {"metric": _metric_name(clock.metric)},
                    now=now,
                )
        except Exception:
            logger.exception("SLA breach of %s: redispatch failed", ticket.pk)


def _metric_name(metric: str) -> str:
    from tickets.sla.models import Metric

    return str(Metric(metric).label)


def _message(metric: str, kind: str) -> str:
    if kind == "warning":
        return _("SLA warning: %(metric)s is due soon.") % {"metric": _metric_name(metric)}
    return _("SLA breached: %(metric)s is overdue.") % {"metric": _metric_name(metric)}
