"""On PostgreSQL + Redis: two tickers racing over the same overdue follow-up visits escalate each exactly once,
and the supervisors hear it through the Redis channel layer."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

from contactcenter.core.staff.models import AgentProfile
from tests.chat.test_redis_layer import redis_reachable
from tests.conftest import need, only_on_database
from tests.factories import AgentFactory, CustomerFactory, TeamFactory
from tests.tickets.conftest import T0
from tickets import events, services
from tickets.access import SYSTEM
from tickets.csat import visits
from tickets.csat.models import FollowUpVisit
from tickets.models import TimelineEntry

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
VISITS = 12


@pytest.fixture(autouse=True)
def _postgres_and_redis() -> None:
    # The PostgreSQL pass of ./dev test runs this (required there under CC_REQUIRE_SERVICES=1); the SQLite pass skips it.
    only_on_database("postgresql")
    need("Redis", bool(settings.REDIS_URL) and redis_reachable(), "set REDIS_URL=redis://…")


def _world() -> tuple[AgentProfile, AgentProfile, list[int]]:
    team = TeamFactory()
    agent = AgentFactory(teams=[team])
    lead = AgentFactory(teams=[team], role=AgentProfile.Role.SUPERVISOR)
    ticket_ids = []
    for n in range(VISITS):
        ticket = services.create_ticket(actor=SYSTEM, team=team, subject=f"Meter {n}", customer=CustomerFactory(), now=T0)
        services.solve_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=T0)
        visits.schedule_visit(actor=agent, ticket_id=ticket.pk, agent_id=agent.pk, due_at=T0 + timedelta(hours=1), now=T0)
        ticket_ids.append(ticket.pk)
    return agent, lead, ticket_ids


def _race() -> list[int]:
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def ticker() -> None:
        try:
            start.wait()
            counts.append(visits.escalate_overdue(T0 + timedelta(hours=2), limit=VISITS))
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=ticker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    return counts


async def _race_and_hear(lead_id: int) -> tuple[list[int], list[dict[str, Any]]]:
    """Race two tickers (threads with their own connections) while listening in Redis as the supervisor's console."""
    layer = get_channel_layer()
    assert layer is not None
    inbox = await layer.new_channel()
    await layer.group_add(events.agent_group(lead_id), inbox)
    counts = await sync_to_async(_race, thread_sensitive=False)()
    heard = [await asyncio.wait_for(layer.receive(inbox), 10) for _ in range(sum(counts))]
    await layer.group_discard(events.agent_group(lead_id), inbox)
    return counts, heard


def test_two_tickers_at_once_escalate_every_overdue_visit_exactly_once() -> None:
    _, lead, ticket_ids = _world()
    counts, heard = async_to_sync(_race_and_hear)(lead.pk)
    assert sum(counts) == VISITS
    assert visits.escalate_overdue(T0 + timedelta(hours=3)) == 0
    assert not FollowUpVisit.objects.filter(escalated_at__isnull=True).exists()
    assert TimelineEntry.objects.filter(ticket_id__in=ticket_ids, event="follow_up_visit_overdue").count() == VISITS
    assert sorted(e["visit"]["ticket_id"] for e in heard) == sorted(ticket_ids)
