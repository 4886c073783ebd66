"""Grabs racing for one ticket: exactly one wins, the others get already_taken (threads on SQLite and
PostgreSQL; on PostgreSQL also two separate processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tests.factories import AgentFactory, TeamFactory
from tests.tickets.conftest import T0
from tickets import services
from tickets.access import SYSTEM
from tickets.errors import AlreadyTaken
from tickets.models import Ticket

GRABBERS = 4


def _race(ticket_id: int, agent_ids: list[int]) -> tuple[list[int], list[str], list[BaseException]]:
    from contactcenter.core.staff.models import AgentProfile

    winners: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(agent_ids))

    def grab(agent_id: int) -> None:
        try:
            agent = AgentProfile.objects.get(pk=agent_id)
            start.wait()
            services.grab_ticket(ticket_id=ticket_id, agent=agent, now=T0)
            winners.append(agent_id)
        except AlreadyTaken as refusal:
            refused.append(refusal.code)
        except BaseException as error:  # surfaced below: a thread's failure must fail the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=grab, args=(agent_id,)) for agent_id in agent_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return winners, refused, errors


@pytest.mark.django_db(transaction=True)
def test_threads_grabbing_one_ticket_leave_exactly_one_winner() -> None:
    team = TeamFactory()
    agents = [AgentFactory(teams=[team]) for _ in range(GRABBERS)]
    ticket = services.create_ticket(actor=SYSTEM, team=team, subject="Leak in the street", now=T0)
    winners, refused, errors = _race(ticket.pk, [a.pk for a in agents])
    assert not errors
    assert len(winners) == 1 and refused == ["already_taken"] * (GRABBERS - 1)
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == winners[0]
    assert ticket.timeline.filter(field="assignee").count() == 1


_WORKER = """
import json, os, sys, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
from django.conf import settings
settings.DATABASES["default"]["NAME"] = sys.argv[1]
django.setup()
from django.utils import timezone
from contactcenter.core.staff.models import AgentProfile
from tickets import services
from tickets.errors import AlreadyTaken
agent = AgentProfile.objects.get(pk=int(sys.argv[3]))
while time.time() < float(sys.argv[4]):
    time.sleep(0.001)
try:
    services.grab_ticket(ticket_id=int(sys.argv[2]), agent=agent, now=timezone.now())
    print(json.dumps({"won": True}))
except AlreadyTaken as refusal:
    print(json.dumps({"won": False, "code": refusal.code}))
"""


@pytest.mark.django_db(transaction=True)
def test_two_processes_grabbing_one_ticket_on_postgresql_leave_one_winner() -> None:
    from tests.conftest import only_on_database

    only_on_database("postgresql")
    team = TeamFactory()
    first, second = AgentFactory(teams=[team]), AgentFactory(teams=[team])
    ticket = services.create_ticket(actor=SYSTEM, team=team, subject="Two grabs", now=T0)
    start_at = time.time() + 2.0
    database = settings.DATABASES["default"]["NAME"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, database, str(ticket.pk), str(agent.pk), repr(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )
        for agent in (first, second)
    ]
    results: list[dict[str, Any]] = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r["won"] for r in results) == [False, True]
    assert [r["code"] for r in results if not r["won"]] == ["already_taken"]
    assert Ticket.objects.get(pk=ticket.pk).assignee_id in {first.pk, second.pk}


def _grab_while_sweeping(ticket_id: int, grabber_id: int) -> list[BaseException]:
    from contactcenter.core.staff.models import AgentProfile
    from routing import services as routing

    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def sweep() -> None:
        try:
            start.wait()
            routing.dispatch(now=T0)
        except BaseException as error:  # surfaced by the caller
            errors.append(error)
        finally:
            connection.close()

    def grab() -> None:
        try:
            agent = AgentProfile.objects.get(pk=grabber_id)
            start.wait()
            services.grab_ticket(ticket_id=ticket_id, agent=agent, now=T0)
        except AlreadyTaken:
            pass
        except BaseException as error:  # surfaced by the caller
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep), threading.Thread(target=grab)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_a_grab_racing_routing_dispatch_leaves_one_assignee_and_one_held_entry() -> None:
    from contactcenter.core.staff.models import AgentProfile
    from routing.models import QueueEntry

    team = TeamFactory()
    dispatched_to = AgentFactory(teams=[team], status="offline")
    grabber = AgentFactory(teams=[team], status="offline")
    for round_ in range(5):
        AgentProfile.objects.filter(pk__in=[dispatched_to.pk, grabber.pk]).update(status="offline")
        ticket = services.create_ticket(actor=SYSTEM, team=team, subject=f"Race {round_}", now=T0, dispatch=True)
        assert Ticket.objects.get(pk=ticket.pk).assignee_id is None
        AgentProfile.objects.filter(pk=dispatched_to.pk).update(status="online")
        assert not _grab_while_sweeping(ticket.pk, grabber.pk)
        assignee = Ticket.objects.get(pk=ticket.pk).assignee_id
        held = list(
            QueueEntry.objects.filter(kind="ticket", item_id=ticket.pk, status="assigned", finished_at__isnull=True).values_list(
                "assigned_agent_id", flat=True
            )
        )
        assert assignee in {dispatched_to.pk, grabber.pk} and held == [assignee]
