"""Builders for routing tests: queues, agents with skills, and a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from contactcenter.core.staff.models import AgentProfile, AgentSkill, Skill, Team
from routing.models import Queue
from tests.factories import AgentFactory, TeamFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_queue(*, team: Team | None = None, name: str | None = None, **fields: Any) -> Queue:
    team = team or TeamFactory()
    return Queue.objects.create(name=name or f"queue-{Queue.objects.count() + 1}-{team.pk}", team=team, **fields)


def make_agent(*, team: Team, chats: int = 5, status: str = "online", skills: dict[str, int] | None = None, **fields: Any) -> AgentProfile:
    agent: AgentProfile = AgentFactory(teams=[team], max_concurrent_chats=chats, status=status, **fields)
    for slug, level in (skills or {}).items():
        skill, _ = Skill.objects.get_or_create(slug=slug, defaults={"name": slug})
        AgentSkill.objects.create(agent=agent, skill=skill, level=level)
    return agent
