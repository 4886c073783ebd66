"""Business-hours calendars in the database: holidays and make-up days reach queues; the admin refuses broken hours."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from contactcenter.core.staff.models import BusinessHours, BusinessHoursException
from contactcenter.core.staff.selectors import calendar
from contactcenter.core.staff.worktime import ALWAYS, is_open
from routing.models import Queue
from tests.factories import TeamFactory

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture
def hours(db: Any) -> BusinessHours:
    hours = BusinessHours.objects.create(name="Office", weekly={d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
    BusinessHoursException.objects.create(calendar=hours, date=date(2026, 10, 1), name="国庆节")
    BusinessHoursException.objects.create(calendar=hours, date=date(2026, 10, 10), name="调休", is_open=True, spans=[["09:00", "18:00"]])
    return hours


def test_a_queue_is_closed_on_a_holiday_and_open_on_a_make_up_saturday(hours: BusinessHours) -> None:
    from routing.selectors import is_open as queue_is_open

    queue = Queue.objects.create(name="Hotline", team=TeamFactory(), business_hours=hours)
    assert queue_is_open(queue=queue, now=datetime(2026, 9, 30, 10, 0, tzinfo=SH))
    assert not queue_is_open(queue=queue, now=datetime(2026, 10, 1, 10, 0, tzinfo=SH))
    assert queue_is_open(queue=queue, now=datetime(2026, 10, 10, 10, 0, tzinfo=SH))


def test_the_calendar_reads_its_exceptions_in_one_query(hours: BusinessHours, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        cal = calendar(hours=hours)
    assert cal.spans_on(date(2026, 10, 1)) == ()
    assert cal.spans_on(date(2026, 10, 10)) == ((9 * 3600, 18 * 3600),)


def test_no_hours_is_always_open() -> None:
    assert calendar(hours=None) is ALWAYS
    assert is_open(ALWAYS, datetime(2026, 10, 1, 3, 0, tzinfo=SH))


def test_the_admin_refuses_a_span_over_midnight_and_an_unknown_zone() -> None:
    with pytest.raises(ValidationError) as refused:
        BusinessHours(name="Night", timezone="Mars/Olympus", weekly={"mon": [["22:00", "02:00"]]}).full_clean()
    assert set(refused.value.message_dict) == {"timezone", "weekly"}


def test_an_open_exception_needs_hours_and_a_closed_one_has_none(hours: BusinessHours) -> None:
    with pytest.raises(ValidationError):
        BusinessHoursException(calendar=hours, date=date(2026, 9, 27), is_open=True, spans=[]).full_clean()
    with pytest.raises(ValidationError):
        BusinessHoursException(calendar=hours, date=date(2026, 9, 27), is_open=False, spans=[["09:00", "18:00"]]).full_clean()
    BusinessHoursException(calendar=hours, date=date(2026, 9, 27), name="调休", is_open=True, spans=[["09:00", "18:00"]]).full_clean()


def test_the_business_hours_admin_edits_exceptions_inline(admin_client: Any, hours: BusinessHours) -> None:
    page = admin_client.get(f"/admin/staff/businesshours/{hours.pk}/change/")
    assert page.status_code == 200
    assert "国庆节" in page.content.decode()


def test_the_demo_calendar_knows_national_day_and_its_make_up_saturday(settings: Any) -> None:
    from contactcenter.demo import load_sample_data

    settings.CC_DEMO_TICKETS = False
    load_sample_data(host="127.0.0.1", port=8000)
    load_sample_data(host="127.0.0.1", port=8000)  # idempotent
    hours = BusinessHours.objects.get(name="Weekdays 9-18")
    cal = calendar(hours=hours)
    assert not is_open(cal, datetime(2026, 10, 7, 10, 0, tzinfo=SH))
    assert is_open(cal, datetime(2026, 10, 10, 10, 0, tzinfo=SH))
    assert BusinessHoursException.objects.filter(calendar=hours, name="国庆节").count() == 7
