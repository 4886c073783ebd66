"""Working-time arithmetic on a business-hours calendar (weekly hours, holidays, make-up working days); no database.

A :class:`Calendar` is built from a schedule's data (:func:`calendar_from`): the weekly hours
``{"mon": [["09:00", "18:00"]], ...}`` in one time zone, plus exceptions by local date — a holiday
(closed all day) or a day with its own hours (a make-up working day, 调休, or shortened hours).

Spans are local wall-clock times: ``"HH:MM"`` to ``"HH:MM"`` with ``"24:00"`` for the end of the
day. A span may not cross midnight (``["22:00", "02:00"]`` is refused: write ``["22:00", "24:00"]``
on the day and ``["00:00", "02:00"]`` on the next), so a holiday closes exactly its own date.
Durations are real elapsed time between aware instants: a span that contains a daylight-saving
change is one hour shorter or longer that day, as the clock on the wall says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_S = 86_400
#: How many consecutive closed days a search crosses before it gives up (a calendar that never opens).
HORIZON_DAYS = 800

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
Span = tuple[int, int]  # seconds after local midnight, start < end <= 86400


class ScheduleError(ValueError):
    """A schedule that cannot be read (bad time, span crossing midnight, unknown time zone)."""


class NeverOpens(ValueError):
    """The calendar has no working time within the search horizon."""


@dataclass(frozen=True, slots=True)
class Calendar:
    zone: ZoneInfo
    weekly: tuple[tuple[Span, ...], ...]  # index 0 = Monday
    exceptions: Mapping[date, tuple[Span, ...]] = field(default_factory=dict)  # () = closed

    def spans_on(self, day: date) -> tuple[Span, ...]:
        found = self.exceptions.get(day)
        return found if found is not None else self.weekly[day.weekday()]


ALWAYS = Calendar(zone=ZoneInfo("UTC"), weekly=tuple(((0, DAY_S),) for _ in WEEKDAYS))


# -- reading schedules -----------------------------------------------------------------------------


def parse_clock(value: object, *, end: bool = False) -> int:
    """``"HH:MM"`` → seconds after midnight; ``"24:00"`` only as an end."""
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ScheduleError(f"{value!r} is not a time like 09:00")
    hour, minute = int(match[1]), int(match[2])
    if end and (hour, minute) == (24, 0):
        return DAY_S
    if hour > 23 or minute > 59:
        raise ScheduleError(f"{value!r} is not a time of day")
    return hour * 3600 + minute * 60


def parse_spans(spans: object) -> tuple[Span, ...]:
    """``[["09:00", "12:00"], ["13:00", "18:00"]]`` → sorted, merged spans; ScheduleError if any is malformed."""
    if not isinstance(spans, list | tuple):
        raise ScheduleError("hours are a list of [start, end] pairs")
    parsed: list[Span] = []
    for span in spans:
        if not isinstance(span, list | tuple) or len(span) != 2:
            raise ScheduleError(f"{span!r} is not a [start, end] pair")
        start, end = parse_clock(span[0]), parse_clock(span[1], end=True)
        if end <= start:
            raise ScheduleError(f"{span[0]}-{span[1]} ends before it starts (split a span that crosses midnight at 24:00)")
        parsed.append((start, end))
    return _merged(parsed)


def parse_weekly(weekly: object) -> tuple[tuple[Span, ...], ...]:
    if not isinstance(weekly, Mapping):
        raise ScheduleError('the weekly schedule is an object like {"mon": [["09:00", "18:00"]]}')
    unknown = set(weekly) - set(WEEKDAYS)
    if unknown:
        raise ScheduleError(f"unknown day(s): {', '.join(sorted(map(str, unknown)))} (use {', '.join(WEEKDAYS)})")
    return tuple(parse_spans(weekly.get(day, [])) for day in WEEKDAYS)


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ScheduleError(f"unknown time zone {name!r}") from error


def calendar_from(*, timezone: str, weekly: object, exceptions: Mapping[date, object] | None = None, strict: bool = True) -> Calendar:
    """A calendar from stored data. ``exceptions``: local date → spans (``[]`` or None: closed all day).

    ``strict=False`` (what the running server uses) never raises: an unknown zone reads as UTC and a
    malformed span or day is left out, so a broken schedule closes rather than opens."""
    if strict:
        return Calendar(
            zone=parse_zone(timezone),
            weekly=parse_weekly(weekly),
            exceptions={day: parse_spans(spans or []) for day, spans in (exceptions or {}).items()},
        )
    try:
        zone = parse_zone(timezone)
    except ScheduleError:
        zone = ZoneInfo("UTC")
    days = weekly if isinstance(weekly, Mapping) else {}
    return Calendar(
        zone=zone,
        weekly=tuple(_lenient_spans(days.get(day, [])) for day in WEEKDAYS),
        exceptions={day: _lenient_spans(spans or []) for day, spans in (exceptions or {}).items()},
    )


def _lenient_spans(spans: object) -> tuple[Span, ...]:
    if not isinstance(spans, list | tuple):
        return ()
    good: list[Span] = []
    for span in spans:
        try:
            good += parse_spans([span])
        except ScheduleError:
            continue
    return _merged(good)


def _merged(spans: Sequence[Span]) -> tuple[Span, ...]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


# -- arithmetic ------------------------------------------------------------------------------------


def _instant(day: date, seconds: int, zone: ZoneInfo) -> datetime:
    if seconds >= DAY_S:
        day, seconds = day + timedelta(days=1), seconds - DAY_S
    local = datetime.combine(day, time(seconds // 3600, seconds % 3600 // 60), tzinfo=zone)
    # A wall time in a DST gap does not exist; zoneinfo reads it with the offset before the change,
    # which lands after the gap, so spans stay in order.
    return local.astimezone(UTC)


def _day_intervals(calendar: Calendar, day: date) -> list[tuple[datetime, datetime]]:
    intervals = []
    for start, end in calendar.spans_on(day):
        a, b = _instant(day, start, calendar.zone), _instant(day, end, calendar.zone)
        if b > a:
            intervals.append((a, b))
    return intervals


def _check(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("working-time arithmetic needs aware datetimes")
    return moment.astimezone(UTC)


def intervals_from(calendar: Calendar, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals (UTC) that end after ``moment``, in order, the first clipped to start at ``moment``.

    Raises NeverOpens after HORIZON_DAYS consecutive days without working time."""
    moment = _check(moment)
    day = moment.astimezone(calendar.zone).date() - timedelta(days=1)
    last_end = moment
    closed_days = 0
    while True:
        found = False
        for start, end in _day_intervals(calendar, day):
            start = max(start, last_end)
            if end <= start:
                continue
            found = True
            last_end = end
            yield start, end
        closed_days = 0 if found else closed_days + 1
        if closed_days > HORIZON_DAYS:
            raise NeverOpens("no working time in this calendar")
        day += timedelta(days=1)


def is_open(calendar: Calendar, moment: datetime) -> bool:
    moment = _check(moment)
    local_day = moment.astimezone(calendar.zone).date()
    for day in (local_day - timedelta(days=1), local_day, local_day + timedelta(days=1)):
        if any(start <= moment < end for start, end in _day_intervals(calendar, day)):
            return True
    return False


def next_opening(calendar: Calendar, moment: datetime) -> datetime:
    """``moment`` itself when open, else the start of the next working interval."""
    start, _end = next(intervals_from(calendar, moment))
    return start


def add(calendar: Calendar, moment: datetime, duration: timedelta) -> datetime:
    """The earliest instant at which ``duration`` of working time has passed since ``moment``.

    Adding nothing gives ``moment`` back; otherwise the result always lies inside or at the end of a
    working interval (8 working hours from Friday 10:00 on a 09:00-18:00 week is Monday 09:00+1 h)."""
    if duration < timedelta(0):
        raise ValueError("cannot add a negative working time")
    if duration == timedelta(0):
        return _check(moment)
    left = duration
    for start, end in intervals_from(calendar, moment):
        if end - start >= left:
            return start + left
        left -= end - start
    raise AssertionError("unreachable")  # pragma: no cover - intervals_from never ends without raising


def between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Working time from ``start`` to ``end`` (negative when ``end`` comes first)."""
    start, end = _check(start), _check(end)
    if end < start:
        return -between(calendar, end, start)
    total = timedelta(0)
    if end == start:
        return total
    try:
        for a, b in intervals_from(calendar, start):
            if a >= end:
                break
            total += min(b, end) - a
            if b >= end:
                break
    except NeverOpens:
        pass  # nothing more to count
    return total


def seconds(duration: timedelta) -> int:
    """Whole working seconds (rounded down) for display and the API."""
    return int(duration // timedelta(seconds=1))
