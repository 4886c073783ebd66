"""Working-time arithmetic: weekends, a holiday, a make-up Saturday, midnight, 24:00, DST, and add/between agreeing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from contactcenter.core.staff import worktime
from contactcenter.core.staff.worktime import ScheduleError, add, between, calendar_from, is_open, next_opening

SH = ZoneInfo("Asia/Shanghai")
WEEKDAY = [["09:00", "12:00"], ["13:00", "18:00"]]
OFFICE = calendar_from(
    timezone="Asia/Shanghai",
    weekly={d: WEEKDAY for d in ("mon", "tue", "wed", "thu", "fri")},
    exceptions={
        date(2026, 10, 1): [],  # 国庆节, a Thursday
        date(2026, 10, 2): None,  # closed too
        date(2026, 10, 10): [["09:00", "18:00"]],  # 调休: a working Saturday
    },
)
H = timedelta(hours=1)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def test_open_in_the_morning_closed_at_lunch_and_after_six() -> None:
    assert is_open(OFFICE, sh(2026, 9, 28, 9, 0))  # Monday
    assert not is_open(OFFICE, sh(2026, 9, 28, 12, 30))
    assert not is_open(OFFICE, sh(2026, 9, 28, 18, 0))  # the end is not inside


def test_a_holiday_is_closed_and_a_make_up_saturday_is_open() -> None:
    assert not is_open(OFFICE, sh(2026, 10, 1, 10, 0))
    assert is_open(OFFICE, sh(2026, 10, 10, 12, 30))  # its own hours: no lunch break
    assert not is_open(OFFICE, sh(2026, 10, 3, 10, 0))  # an ordinary Saturday


def test_adding_over_a_weekend_continues_on_monday() -> None:
    # Friday 17:00 + 2 working hours = Monday 10:00.
    assert add(OFFICE, sh(2026, 9, 25, 17, 0), 2 * H) == sh(2026, 9, 28, 10, 0)


def test_adding_skips_the_holiday_and_uses_the_make_up_saturday() -> None:
    # Wednesday 30 Sep 17:00 + 2 h: one hour that day; Thu/Fri are holidays, the weekend is closed; Monday 10:00.
    assert add(OFFICE, sh(2026, 9, 30, 17, 0), 2 * H) == sh(2026, 10, 5, 10, 0)
    # Friday 9 Oct 17:00 + 2 h: the Saturday 10 Oct works.
    assert add(OFFICE, sh(2026, 10, 9, 17, 0), 2 * H) == sh(2026, 10, 10, 10, 0)


def test_adding_exactly_a_day_ends_at_closing_time_not_next_morning() -> None:
    assert add(OFFICE, sh(2026, 9, 28, 9, 0), 8 * H) == sh(2026, 9, 28, 18, 0)


def test_adding_nothing_is_the_same_instant_even_when_closed() -> None:
    moment = sh(2026, 9, 27, 3, 0)
    assert add(OFFICE, moment, timedelta(0)) == moment


def test_between_counts_only_working_time_and_is_signed() -> None:
    assert between(OFFICE, sh(2026, 9, 25, 17, 0), sh(2026, 9, 28, 10, 0)) == 2 * H
    assert between(OFFICE, sh(2026, 9, 28, 10, 0), sh(2026, 9, 25, 17, 0)) == -2 * H
    assert between(OFFICE, sh(2026, 9, 30, 18, 0), sh(2026, 10, 5, 9, 0)) == timedelta(0)  # holiday + weekend


def test_next_opening_skips_lunch_nights_and_holidays() -> None:
    assert next_opening(OFFICE, sh(2026, 9, 28, 12, 5)) == sh(2026, 9, 28, 13, 0)
    assert next_opening(OFFICE, sh(2026, 9, 30, 19, 0)) == sh(2026, 10, 5, 9, 0)
    assert next_opening(OFFICE, sh(2026, 9, 28, 10, 0)) == sh(2026, 9, 28, 10, 0)


def test_24_00_ends_at_midnight_and_joins_the_next_day() -> None:
    night = calendar_from(timezone="Asia/Shanghai", weekly={"mon": [["20:00", "24:00"]], "tue": [["00:00", "02:00"]]})
    assert is_open(night, sh(2026, 9, 28, 23, 59))
    assert is_open(night, sh(2026, 9, 29, 0, 0))
    assert add(night, sh(2026, 9, 28, 23, 0), 2 * H) == sh(2026, 9, 29, 1, 0)
    assert between(night, sh(2026, 9, 28, 0, 0), sh(2026, 9, 30, 0, 0)) == 6 * H


def test_a_span_crossing_midnight_is_refused_with_a_hint() -> None:
    with pytest.raises(ScheduleError, match="24:00"):
        calendar_from(timezone="Asia/Shanghai", weekly={"mon": [["22:00", "02:00"]]})


@pytest.mark.parametrize("weekly", [{"mon": [["9am", "18:00"]]}, {"monday": []}, {"mon": [["09:00"]]}, {"mon": [["25:00", "26:00"]]}])
def test_malformed_schedules_are_refused_when_strict_and_closed_when_lenient(weekly: dict[str, object]) -> None:
    with pytest.raises(ScheduleError):
        calendar_from(timezone="Asia/Shanghai", weekly=weekly)
    lenient = calendar_from(timezone="Nowhere/City", weekly=weekly, strict=False)
    assert not is_open(lenient, sh(2026, 9, 28, 10, 0))


def test_a_day_with_daylight_saving_has_23_working_hours() -> None:
    berlin = calendar_from(timezone="Europe/Berlin", weekly={"sun": [["00:00", "24:00"]]})
    sunday = datetime(2026, 3, 29, tzinfo=ZoneInfo("Europe/Berlin"))
    assert between(berlin, sunday, sunday + timedelta(days=1)) == 23 * H
    assert add(berlin, sunday, 3 * H) == datetime(2026, 3, 29, 4, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        is_open(OFFICE, datetime(2026, 9, 28, 10, 0))


def test_a_calendar_that_never_opens_says_so() -> None:
    with pytest.raises(worktime.NeverOpens):
        add(calendar_from(timezone="UTC", weekly={}), sh(2026, 9, 28), H)


def test_24x7_is_plain_elapsed_time() -> None:
    start = datetime(2026, 9, 28, 10, 0, tzinfo=UTC)
    assert add(worktime.ALWAYS, start, timedelta(days=3, seconds=5)) == start + timedelta(days=3, seconds=5)


def test_now_from_the_machine_clock_is_just_an_aware_instant() -> None:
    with time_machine.travel(sh(2026, 10, 1, 10, 0), tick=False):
        assert not is_open(OFFICE, datetime.now(UTC))  # the holiday
    with time_machine.travel(sh(2026, 10, 10, 10, 0), tick=False):
        assert is_open(OFFICE, datetime.now(UTC))  # the make-up Saturday


moments = st.datetimes(min_value=datetime(2026, 9, 1), max_value=datetime(2026, 11, 1), timezones=st.just(UTC))
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))


@settings(max_examples=150, deadline=None)
@given(start=moments, end=moments)
def test_adding_the_working_time_between_two_instants_reaches_the_same_working_time(start: datetime, end: datetime) -> None:
    start, end = min(start, end), max(start, end)
    worked = between(OFFICE, start, end)
    reached = add(OFFICE, start, worked)
    assert reached <= end
    assert between(OFFICE, start, reached) == worked
    assert between(OFFICE, reached, end) == timedelta(0)


@settings(max_examples=150, deadline=None)
@given(start=moments, duration=durations)
def test_between_undoes_add(start: datetime, duration: timedelta) -> None:
    end = add(OFFICE, start, duration)
    assert between(OFFICE, start, end) == duration
    assert duration == timedelta(0) or is_open(OFFICE, end - timedelta(microseconds=1))


@settings(max_examples=100, deadline=None)
@given(a=moments, b=moments, c=moments)
def test_working_time_adds_up_over_consecutive_ranges(a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    assert between(OFFICE, a, b) + between(OFFICE, b, c) == between(OFFICE, a, c)
