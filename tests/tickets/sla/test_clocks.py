"""SLA clocks replayed from a history on a calendar: met, breached, paused while waiting, cycles, reopening."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from contactcenter.core.staff.worktime import ALWAYS, calendar_from
from tickets.sla.clocks import ClockState, Step, Targets, compute

SH = ZoneInfo("Asia/Shanghai")
OFFICE = calendar_from(
    timezone="Asia/Shanghai",
    weekly={d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    exceptions={date(2026, 10, 1): []},  # a holiday on Thursday
)
T0 = datetime(2026, 9, 30, 17, 0, tzinfo=SH)  # Wednesday, an hour before closing
H = timedelta(hours=1)
OPEN_STAGE, WAITING, SOLVED_STAGE, TARGET = 1, 2, 3, 4
POSITIONS = {OPEN_STAGE: (9, 0), TARGET: (9, 1), WAITING: (9, 2), SOLVED_STAGE: (9, 3)}


def run(steps: list[Step], *, now: datetime, calendar=OFFICE, **targets: int) -> dict[tuple[str, int], ClockState]:
    states = compute(
        created_at=T0,
        steps=steps,
        initial_status="open",
        initial_stage_id=OPEN_STAGE,
        targets=Targets(seconds=targets, warn_before_percent=25, target_stage=(9, 1)),
        calendar=calendar,
        pausing_stage_ids={WAITING},
        stage_positions=POSITIONS,
        now=now,
    )
    return {(s.metric, s.cycle): s for s in states}


def test_first_response_is_due_after_the_holiday_and_warns_at_three_quarters() -> None:
    clock = run([], now=T0, first_response=2 * 3600)[("first_response", 0)]
    # 17:00-18:00 Wednesday, Thursday is a holiday, Friday 09:00 + 1 h.
    assert clock.due_at == datetime(2026, 10, 2, 10, 0, tzinfo=SH)
    assert clock.warn_at == datetime(2026, 10, 2, 9, 30, tzinfo=SH)
    assert clock.breached_at is None and not clock.is_paused


def test_a_reply_in_time_meets_it_and_a_late_one_records_when_it_broke() -> None:
    soon = run([Step(T0 + timedelta(minutes=30), "agent_reply")], now=T0 + 10 * H, first_response=3600)[("first_response", 0)]
    assert soon.stopped_at == T0 + timedelta(minutes=30) and soon.breached_at is None and soon.remaining == timedelta(minutes=30)
    friday = datetime(2026, 10, 2, 11, 0, tzinfo=SH)
    late = run([Step(friday, "agent_reply")], now=friday, first_response=3600)[("first_response", 0)]
    assert late.breached_at == datetime(2026, 9, 30, 18, 0, tzinfo=SH)
    assert late.remaining == -2 * H


def test_a_running_clock_past_its_due_time_is_breached_as_of_now() -> None:
    clock = run([], now=datetime(2026, 10, 2, 12, 0, tzinfo=SH), first_response=3600)[("first_response", 0)]
    assert clock.breached_at == datetime(2026, 9, 30, 18, 0, tzinfo=SH) == clock.due_at


def test_waiting_on_the_customer_pauses_and_the_time_left_carries_over() -> None:
    friday = datetime(2026, 10, 2, 9, 0, tzinfo=SH)
    steps = [Step(T0 + timedelta(minutes=30), "stage", WAITING)]
    paused = run(steps, now=friday, resolution=2 * 3600)[("resolution", 0)]
    assert paused.is_paused and paused.due_at is None and paused.remaining == timedelta(minutes=90)
    resumed = run([*steps, Step(friday, "stage", OPEN_STAGE)], now=friday, resolution=2 * 3600)[("resolution", 0)]
    assert resumed.due_at == friday + timedelta(minutes=90)


def test_each_unanswered_customer_reply_opens_one_next_response_cycle() -> None:
    monday = datetime(2026, 10, 5, 9, 0, tzinfo=SH)
    steps = [
        Step(T0 + timedelta(minutes=10), "agent_reply"),
        Step(monday, "customer_reply"),
        Step(monday + H, "customer_reply"),  # the same cycle: the clock does not move
        Step(monday + 2 * H, "agent_reply"),
        Step(monday + 3 * H, "customer_reply"),
    ]
    clocks = run(steps, now=monday + 3 * H, next_response=4 * 3600)
    first, second = clocks[("next_response", 0)], clocks[("next_response", 1)]
    assert first.started_at == monday and first.stopped_at == monday + 2 * H and first.breached_at is None
    assert second.started_at == monday + 3 * H and second.due_at == monday + 7 * H
    assert ("next_response", 2) not in clocks


def test_solving_stops_resolution_and_reopening_resumes_it() -> None:
    solved_at = T0 + timedelta(minutes=40)
    monday = datetime(2026, 10, 5, 9, 0, tzinfo=SH)
    steps = [Step(solved_at, "status", "solved"), Step(solved_at, "stage", SOLVED_STAGE)]
    done = run(steps, now=monday, resolution=3600)[("resolution", 0)]
    assert done.stopped_at == solved_at and done.breached_at is None
    reopened = run([*steps, Step(monday, "status", "open"), Step(monday, "stage", OPEN_STAGE)], now=monday, resolution=3600)
    clock = reopened[("resolution", 0)]
    assert clock.stopped_at is None and clock.due_at == monday + timedelta(minutes=20)


def test_reaching_the_target_stage_or_a_later_one_meets_the_stage_target() -> None:
    later = T0 + timedelta(minutes=5)
    clock = run([Step(later, "stage", SOLVED_STAGE)], now=later, stage=3600)[("stage", 0)]
    assert clock.stopped_at == later


def test_without_a_calendar_the_clock_runs_around_the_clock() -> None:
    clock = run([], now=T0, calendar=ALWAYS, first_response=3 * 3600)[("first_response", 0)]
    assert clock.due_at == T0 + 3 * H


def test_a_calendar_without_working_time_ahead_leaves_the_clock_never_due() -> None:
    closed = calendar_from(timezone="Asia/Shanghai", weekly={})
    clock = run([], now=T0, calendar=closed, first_response=3600)[("first_response", 0)]
    assert clock.due_at is None and clock.breached_at is None
