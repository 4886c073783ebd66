"""Writes to staff: agent presence and status."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from contactcenter.core.errors import InvalidInput
from contactcenter.core.events import publish_on_commit
from contactcenter.core.staff.models import AgentProfile

# An agent counts as connected while their console heartbeats within this window.
PRESENCE_WINDOW = timedelta(seconds=90)


def set_status(*, agent: AgentProfile, status: str, now: datetime) -> AgentProfile:
    if status not in AgentProfile.Status.values:
        raise InvalidInput(f"Unknown status {status!r}.", allowed=list(AgentProfile.Status.values))
    with transaction.atomic():
        AgentProfile.objects.filter(pk=agent.pk).update(status=status, status_changed_at=now, last_seen_at=now)
        agent.status, agent.status_changed_at, agent.last_seen_at = status, now, now
        event = {"type": "agent.status_changed", "agent_id": agent.pk, "status": status}
        publish_on_commit(f"agent.{agent.pk}", event)
        publish_on_commit("supervisors", event)
        _publish_team_availability(agent=agent, now=now)
    return agent


def availability_group(team_id: int) -> str:
    """Widgets of a team's channels listen here for "agents online" changes."""
    return f"team.{team_id}.availability"


def _publish_team_availability(*, agent: AgentProfile, now: datetime) -> None:
    window_start = now - PRESENCE_WINDOW
    for team in agent.teams.all():
        online = team.agents.filter(status=AgentProfile.Status.ONLINE, last_seen_at__gte=window_start).exists()
        publish_on_commit(availability_group(team.pk), {"type": "staff.availability", "team_id": team.pk, "agents_online": online})


def touch_presence(*, agent: AgentProfile, now: datetime) -> None:
    """Record a heartbeat; written at most every 30 s per agent to keep heartbeats cheap."""
    if agent.last_seen_at is None or now - agent.last_seen_at > timedelta(seconds=30):
        AgentProfile.objects.filter(pk=agent.pk).update(last_seen_at=now)
        agent.last_seen_at = now
