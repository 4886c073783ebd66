"""Done-when of issue 7's SLA part, on PostgreSQL + Redis: a ticket walked through a calendar with a holiday
fires its first-response warning, its breach and the escalation each exactly once (time-machine), and two
tickers racing over the same due clocks fire every warning once."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime
from typing import Any

import pytest
import time_machine
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.utils import timezone

from contactcenter.core.staff.models import AgentProfile
from tests.chat.test_redis_layer import redis_reachable
from tests.conftest import need, only_on_database
from tests.factories import AgentFactory, CustomerFactory, TeamFactory
from tests.tickets.sla.conftest import CREATED, sh
from tickets import services
from tickets.access import SYSTEM
from tickets.models import Ticket, TimelineEntry
from tickets.sla import services as sla
from tickets.sla.models import SlaClock, SlaPolicy

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_and_redis() -> None:
    # The PostgreSQL pass of ./dev test runs these (required there under CC_REQUIRE_SERVICES=1); the SQLite pass skips them.
    only_on_database("postgresql")
    need("Redis", bool(settings.REDIS_URL) and redis_reachable(), "set REDIS_URL=redis://…")


def _fire(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return sla.fire_due(timezone.now())


async def _fire_and_hear(group: str, moment: datetime) -> tuple[int, dict[str, Any]]:
    """Fire from another thread (its own connection and Redis client, like a worker) and hear the event in Redis."""
    layer = get_channel_layer()
    assert layer is not None
    channel = await layer.new_channel()
    await layer.group_add(group, channel)

    def fire() -> int:
        try:
            return _fire(moment)
        finally:
            connection.close()

    fired = await sync_to_async(fire, thread_sensitive=False)()
    heard = await asyncio.wait_for(layer.receive(channel), 10)
    await layer.group_discard(group, channel)
    return fired, heard


def test_a_ticket_through_a_holiday_warns_breaches_and_escalates_once_each(office: Any) -> None:
    team = TeamFactory(name="Water bills", slug="water-bills")
    alice = AgentFactory(teams=[team], display_name="Alice")
    sue = AgentFactory(teams=[team], display_name="Sue", role=AgentProfile.Role.SUPERVISOR)
    policy = SlaPolicy.objects.create(
        name="Bills", calendar=office, first_response_s=2 * 3600, warn_before_percent=25, raise_priority=True, notify_supervisors=True
    )
    policy.teams.set([team])
    with time_machine.travel(CREATED, tick=False):
        ticket = services.create_ticket(
            actor=SYSTEM, team=team, subject="水费异常", customer=CustomerFactory(), assignee=alice, now=timezone.now()
        )
    clock = SlaClock.objects.get(ticket=ticket, metric="first_response")
    # Wednesday 17:00-18:00, Thursday 1 October is a holiday, Friday from 09:00: due 10:00, warning at 09:30.
    assert (clock.warn_at, clock.due_at) == (sh(2026, 10, 2, 9, 30), sh(2026, 10, 2, 10, 0))

    assert _fire(sh(2026, 10, 1, 15, 0)) == 0  # the holiday: nothing is due
    assert _fire(sh(2026, 10, 2, 9, 29)) == 0
    assert _fire(sh(2026, 10, 2, 9, 31)) == 1  # the warning
    assert _fire(sh(2026, 10, 2, 9, 45)) == 0

    fired, heard = async_to_sync(_fire_and_hear)(f"tickets.agent.{sue.pk}", sh(2026, 10, 2, 10, 1))
    assert fired == 1
    assert heard["type"] == "ticket.sla_breached" and heard["sla"]["metric"] == "first_response"
    assert _fire(sh(2026, 10, 2, 10, 30)) == 0
    assert _fire(sh(2026, 10, 5, 9, 0)) == 0

    ticket.refresh_from_db()
    assert ticket.priority == "high"  # the escalation, once: normal → high, not → urgent
    assert ticket.timeline.filter(kind=TimelineEntry.Kind.FIELD_CHANGE, field="priority").count() == 1
    assert list(ticket.timeline.filter(event__startswith="sla_").values_list("event", flat=True)) == ["sla_warning", "sla_breached"]
    clock.refresh_from_db()
    assert clock.warning_fired_at == sh(2026, 10, 2, 9, 31) and clock.breach_fired_at == sh(2026, 10, 2, 10, 1)
    assert clock.breached_at == sh(2026, 10, 2, 10, 0)

    # The agent answers late: the clock stops, still breached, and nothing fires again.
    with time_machine.travel(sh(2026, 10, 2, 11, 0), tick=False):
        services.reply(ticket_id=ticket.pk, actor=alice, body="您好，我们正在核查。", now=timezone.now())
    clock.refresh_from_db()
    assert clock.stopped_at == sh(2026, 10, 2, 11, 0) and clock.breached_at == sh(2026, 10, 2, 10, 0)
    assert _fire(sh(2026, 10, 6, 9, 0)) == 0


TICKETS = 12


def test_two_tickers_at_once_fire_every_warning_exactly_once(office: Any) -> None:
    team = TeamFactory()
    policy = SlaPolicy.objects.create(name="Race", calendar=office, first_response_s=2 * 3600, warn_before_s=1800)
    policy.teams.set([team])
    with time_machine.travel(CREATED, tick=False):
        tickets = [services.create_ticket(actor=SYSTEM, team=team, subject=f"Leak {n}", now=timezone.now()) for n in range(TICKETS)]
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def ticker() -> None:
        try:
            start.wait()
            counts.append(sla.fire_due(sh(2026, 10, 2, 9, 45)))
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
    assert sum(counts) == TICKETS
    ids = [t.pk for t in tickets]
    assert TimelineEntry.objects.filter(ticket_id__in=ids, event="sla_warning").count() == TICKETS
    assert not SlaClock.objects.filter(ticket_id__in=ids, warning_fired_at__isnull=True).exists()
    assert Ticket.objects.filter(pk__in=ids).count() == TICKETS


_KILLED_WORKER = """
import os, sys, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
from django.conf import settings
settings.DATABASES["default"]["NAME"] = sys.argv[1]
django.setup()
from datetime import datetime
from tickets.sla import services

def stuck(*args, **kwargs):
    print("escalating", flush=True)  # the clock is locked and marked, the escalation half-way
    time.sleep(120)

services._escalate = stuck
services.fire_due(datetime.fromisoformat(sys.argv[2]))
"""


def test_a_worker_killed_while_firing_leaves_the_breach_to_the_next_run_which_fires_it_once(office: Any) -> None:
    import os
    import subprocess
    import sys

    team = TeamFactory()
    policy = SlaPolicy.objects.create(name="Killed", calendar=office, first_response_s=2 * 3600, raise_priority=True)
    policy.teams.set([team])
    with time_machine.travel(CREATED, tick=False):
        ticket = services.create_ticket(actor=SYSTEM, team=team, subject="停水", now=timezone.now())
    moment = sh(2026, 10, 2, 10, 1)
    worker = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WORKER, settings.DATABASES["default"]["NAME"], moment.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "escalating", worker.stderr.read() if worker.stderr else ""
        assert _fire(moment) == 0  # locked by the stuck worker: skipped, not waited for, not fired twice
        worker.kill()
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    # PostgreSQL rolls the dead worker's transaction back: no mark, no entry; the next run fires it, once.
    assert not TimelineEntry.objects.filter(ticket=ticket, event="sla_breached").exists()
    assert _fire(sh(2026, 10, 2, 10, 2)) == 1
    assert _fire(sh(2026, 10, 2, 10, 3)) == 0
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert TimelineEntry.objects.filter(ticket=ticket, event="sla_breached").count() == 1
