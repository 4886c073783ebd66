"""SLA clocks of one ticket computed from its history alone (no database): replays the timeline on a calendar.

The history is a list of :class:`Step` (public replies by agent or customer, status and stage
changes) in timeline order. A clock counts working time while the ticket is open and not in a
stage that waits on the customer; the same history always gives the same clocks, so an edited or
reopened ticket is recomputed by replaying it again.

- first response: from creation to the first public reply by an agent (or to solving, if the desk
  solved it without writing).
- next response: a cycle starts at the first customer reply after the previous response and
  ends at the next agent reply (or solving); later customer replies in the cycle do not move it.
- resolution: from creation until solved or closed; reopening resumes it with the time used so far.
- stage: from creation until the ticket is in the target stage or a later one of that team.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from contactcenter.core.staff import worktime
from contactcenter.core.staff.worktime import Calendar

StepKind = Literal["agent_reply", "customer_reply", "status", "stage"]
FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION, STAGE = "first_response", "next_response", "resolution", "stage"


@dataclass(frozen=True, slots=True)
class Step:
    at: datetime
    kind: StepKind
    value: str | int | None = None  # the new status, or the new stage id


@dataclass(frozen=True, slots=True)
class Targets:
    """Working time per metric (absent: not measured), the warning threshold, the stage target."""

    seconds: Mapping[str, int]
    warn_before_s: int | None = None
    warn_before_percent: int | None = None
    target_stage: tuple[int, int] | None = None  # (team id, position)

    def warn_point(self, target: timedelta) -> timedelta | None:
        if self.warn_before_s:
            return max(timedelta(0), target - timedelta(seconds=self.warn_before_s))
        if self.warn_before_percent:
            return target - target * self.warn_before_percent / 100
        return None


@dataclass(frozen=True, slots=True)
class ClockState:
    metric: str
    cycle: int
    target_s: int
    started_at: datetime
    due_at: datetime | None  # running only
    warn_at: datetime | None  # running only
    is_paused: bool
    remaining: timedelta | None  # paused or stopped: what was left (negative: overdue)
    stopped_at: datetime | None
    breached_at: datetime | None  # the target passed (at or before ``now``)


@dataclass(slots=True)
class _Clock:
    metric: str
    cycle: int
    target: timedelta
    started_at: datetime
    warn_point: timedelta | None
    elapsed: timedelta = timedelta(0)
    running_since: datetime | None = None
    stopped_at: datetime | None = None
    breached_at: datetime | None = None
    warned_at: datetime | None = None

    def advance(self, calendar: Calendar, until: datetime) -> None:
        """Count working time up to ``until``, noting when the warning point and the target were passed."""
        if self.running_since is None or until <= self.running_since:
            return
        start, before = self.running_since, self.elapsed
        self.elapsed = before + worktime.between(calendar, start, until)
        if self.warn_point is not None and self.warned_at is None and before <= self.warn_point < self.elapsed:
            self.warned_at = worktime.add(calendar, start, self.warn_point - before)
        if self.breached_at is None and before <= self.target < self.elapsed:
            self.breached_at = worktime.add(calendar, start, self.target - before)
        self.running_since = until


def compute(
    *,
    created_at: datetime,
    steps: Sequence[Step],
    initial_status: str,
    initial_stage_id: int,
    targets: Targets,
    calendar: Calendar,
    pausing_stage_ids: Collection[int],
    stage_positions: Mapping[int, tuple[int, int]],
    now: datetime,
) -> list[ClockState]:
    """Replay the history from the status and stage the ticket was created with; ``stage_positions``
    maps stage id → (team id, position)."""
    cur_status = initial_status
    cur_stage = initial_stage_id
    clocks: list[_Clock] = []
    responded = False

    def new(metric: str, cycle: int, at: datetime) -> _Clock | None:
        seconds = targets.seconds.get(metric)
        if not seconds:
            return None
        target = timedelta(seconds=seconds)
        clock = _Clock(metric, cycle, target, at, targets.warn_point(target))
        clocks.append(clock)
        return clock

    def in_target_stage(stage: int) -> bool:
        if targets.target_stage is None or stage not in stage_positions:
            return False
        team, position = stage_positions[stage]
        return (team, position >= targets.target_stage[1]) == (targets.target_stage[0], True)

    def counting() -> bool:
        return cur_status == "open" and cur_stage not in pausing_stage_ids

    def settle(at: datetime) -> None:
        for clock in clocks:
            clock.advance(calendar, at)
            live = clock.stopped_at is None and counting()
            clock.running_since = (clock.running_since or at) if live else None

    def stop(clock: _Clock | None, at: datetime) -> None:
        if clock is not None and clock.stopped_at is None:
            clock.stopped_at = at
            clock.running_since = None

    first = new(FIRST_RESPONSE, 0, created_at)
    resolution = new(RESOLUTION, 0, created_at)
    stage_clock = new(STAGE, 0, created_at)
    next_clock: _Clock | None = None
    cycles = 0
    if stage_clock is not None and in_target_stage(cur_stage):
        stop(stage_clock, created_at)
    settle(created_at)

    for step in steps:
        if step.at < created_at:
            continue
        settle(step.at)
        if step.kind == "agent_reply":
            if not responded:
                responded = True
                stop(first, step.at)
            elif next_clock is not None:
                stop(next_clock, step.at)
                next_clock = None
        elif step.kind == "customer_reply":
            if responded and next_clock is None:
                next_clock = new(NEXT_RESPONSE, cycles, step.at)
                cycles += 1
        elif step.kind == "status" and isinstance(step.value, str):
            cur_status = step.value
            if cur_status != "open":
                # Solved: the desk has answered and resolved; every running clock ends here.
                if not responded:
                    responded = True
                    stop(first, step.at)
                stop(next_clock, step.at)
                next_clock = None
                stop(resolution, step.at)
            elif resolution is not None and resolution.stopped_at is not None:
                resolution.stopped_at = None  # reopened: resolution runs on with the time already used
        elif step.kind == "stage" and isinstance(step.value, int):
            cur_stage = step.value
            if stage_clock is not None and in_target_stage(cur_stage):
                stop(stage_clock, step.at)
        settle(step.at)

    # Count on up to now only to learn whether a running clock has already passed its points.
    probe_now = max(now, created_at)
    states = []
    for clock in clocks:
        running_since = clock.running_since
        elapsed = clock.elapsed
        due: datetime | None = None
        warn_at: datetime | None = None
        if running_since is not None:
            due = clock.breached_at or _add(calendar, running_since, max(timedelta(0), clock.target - elapsed))
            warn_at = clock.warned_at
            if warn_at is None and clock.warn_point is not None:
                warn_at = _add(calendar, running_since, max(timedelta(0), clock.warn_point - elapsed))
            clock.advance(calendar, probe_now)
        states.append(
            ClockState(
                metric=clock.metric,
                cycle=clock.cycle,
                target_s=int(clock.target.total_seconds()),
                started_at=clock.started_at,
                due_at=due,
                warn_at=warn_at,
                is_paused=running_since is None and clock.stopped_at is None,
                remaining=None if running_since is not None else clock.target - elapsed,
                stopped_at=clock.stopped_at,
                breached_at=clock.breached_at if clock.breached_at is not None and clock.breached_at <= now else None,
            )
        )
    return states


def _add(calendar: Calendar, moment: datetime, duration: timedelta) -> datetime | None:
    """None when the calendar has no more working time: such a clock is never due."""
    try:
        return worktime.add(calendar, moment, duration)
    except worktime.NeverOpens:
        return None
