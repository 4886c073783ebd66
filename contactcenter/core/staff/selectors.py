"""Reads of staff: who is available for a team, business-hours calendars."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from contactcenter.core.staff import worktime
from contactcenter.core.staff.models import AgentProfile, BusinessHours, BusinessHoursException
from contactcenter.core.staff.services import PRESENCE_WINDOW


def agent_for_user(*, user_id: int) -> AgentProfile | None:
    return AgentProfile.objects.filter(user_id=user_id, user__is_active=True).prefetch_related("teams").first()


def team_has_agents_online(*, team_id: int | None, now: datetime) -> bool:
    agents = AgentProfile.objects.filter(status=AgentProfile.Status.ONLINE, last_seen_at__gte=now - PRESENCE_WINDOW)
    if team_id is not None:
        agents = agents.filter(teams__id=team_id)
    return agents.exists()


def present_agents(now: datetime) -> QuerySet[AgentProfile]:
    """Agents whose console is (or may be) connected. A console that stopped heartbeating for the
    presence window gets no new work whatever its status says; agents that never connected (set up
    through the API or a test) count as present and their status alone decides."""
    return AgentProfile.objects.filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__gte=now - PRESENCE_WINDOW))


def calendar(*, hours: BusinessHours | None) -> worktime.Calendar:
    """The working-time calendar of a schedule with its holidays and make-up days (one query); none: 24×7.

    Read leniently: a malformed span or zone closes rather than fails (the admin refuses them)."""
    if hours is None:
        return worktime.ALWAYS
    exceptions = {
        day: (spans if is_open else [])
        for day, is_open, spans in BusinessHoursException.objects.filter(calendar_id=hours.pk).values_list("date", "is_open", "spans")
    }
    return worktime.calendar_from(timezone=hours.timezone, weekly=hours.weekly, exceptions=exceptions, strict=False)
