"""Reads of staff: who is available for a team."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from contactcenter.core.staff.models import AgentProfile
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
