"""SLA fixtures: an office calendar with a holiday, a policy for the team, tickets created at a fixed time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from contactcenter.core.staff.models import BusinessHours, BusinessHoursException, Team
from tickets.sla.models import SlaPolicy

SH = ZoneInfo("Asia/Shanghai")
#: Wednesday 30 Sep 2026, 17:00 in Shanghai: an hour before closing, and Thursday is a holiday.
CREATED = datetime(2026, 9, 30, 17, 0, tzinfo=SH)


def sh(*args: int) -> datetime:
    return datetime(args[0], args[1], args[2], *args[3:], tzinfo=SH)


@pytest.fixture
def office(db: Any) -> BusinessHours:
    hours = BusinessHours.objects.create(name="Office", weekly={d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
    BusinessHoursException.objects.create(calendar=hours, date=date(2026, 10, 1), name="国庆节")
    return hours


@pytest.fixture
def policy(team: Team, office: BusinessHours) -> SlaPolicy:
    policy = SlaPolicy.objects.create(
        name="Billing standard",
        calendar=office,
        first_response_s=2 * 3600,
        next_response_s=4 * 3600,
        resolution_s=16 * 3600,
        warn_before_s=1800,
        raise_priority=True,
    )
    policy.teams.set([team])
    return policy
