"""SLA reads: a ticket's clocks with their state as of now, and badges for a list of tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from contactcenter.core.staff import selectors as staff_selectors
from contactcenter.core.staff import worktime
from tickets import access
from tickets.access import Actor
from tickets.sla.models import SlaClock

#: Badges for at most this many tickets in one call.
MAX_BADGES = 100

OK, WARNING, BREACHED, MET, PAUSED = "ok", "warning", "breached", "met", "paused"


@dataclass(frozen=True, slots=True)
class ClockView:
    ticket_id: int
    metric: str
    cycle: int
    policy: str
    state: str
    target_s: int
    due_at: datetime | None
    warn_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    remaining_s: int | None  # working seconds left (negative: overdue)


def state_of(clock: SlaClock, *, now: datetime) -> str:
    broken = clock.breached_at is not None and clock.breached_at <= now
    if clock.stopped_at is not None:
        return BREACHED if broken else MET
    if broken or (clock.due_at is not None and clock.due_at <= now):
        return BREACHED
    if clock.is_paused:
        return PAUSED
    if clock.warn_at is not None and clock.warn_at <= now:
        return WARNING
    return OK


def _views(clocks: Sequence[SlaClock], *, now: datetime) -> list[ClockView]:
    calendars: dict[int | None, worktime.Calendar] = {}
    latest: dict[tuple[int, str], SlaClock] = {}
    for clock in clocks:  # the newest cycle of each metric is what a badge shows
        key = (clock.ticket_id, clock.metric)
        if key not in latest or latest[key].cycle < clock.cycle:
            latest[key] = clock
    views = []
    for clock in sorted(latest.values(), key=lambda c: (c.ticket_id, c.metric)):
        remaining = clock.remaining_s
        if clock.due_at is not None and clock.stopped_at is None:
            hours_id = clock.policy.calendar_id if clock.policy is not None else None
            if hours_id not in calendars:
                calendars[hours_id] = staff_selectors.calendar(hours=clock.policy.calendar if clock.policy is not None else None)
            remaining = worktime.seconds(worktime.between(calendars[hours_id], now, clock.due_at))
        views.append(
            ClockView(
                ticket_id=clock.ticket_id,
                metric=clock.metric,
                cycle=clock.cycle,
                policy=clock.policy.name if clock.policy is not None else "",
                state=state_of(clock, now=now),
                target_s=clock.target_s,
                due_at=clock.due_at,
                warn_at=clock.warn_at,
                breached_at=clock.breached_at,
                stopped_at=clock.stopped_at,
                remaining_s=remaining,
            )
        )
    return views


def ticket_clocks(*, actor: Actor, ticket_id: int, now: datetime) -> list[ClockView]:
    """The clocks of one ticket the actor may see (NotFound otherwise), the newest cycle of each metric."""
    ticket = access.access_ticket(actor=actor, ticket_id=ticket_id)
    clocks = list(SlaClock.objects.filter(ticket_id=ticket.pk).select_related("policy__calendar"))
    return _views(clocks, now=now)


def badges(*, actor: Actor, ticket_ids: Sequence[int], now: datetime) -> dict[int, list[ClockView]]:
    """Clocks of the listed tickets the actor may see; hidden or unknown ids are left out (no error)."""
    visible = access.visible_tickets(actor).filter(pk__in=list(ticket_ids)[:MAX_BADGES]).values("pk")
    clocks = list(SlaClock.objects.filter(ticket_id__in=visible).select_related("policy__calendar"))
    found: dict[int, list[ClockView]] = {}
    for view in _views(clocks, now=now):
        found.setdefault(view.ticket_id, []).append(view)
    return found
