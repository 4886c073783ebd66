"""Two dispatchers at once never assign one entry twice nor push an agent past capacity (PostgreSQL processes, SQLite threads)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from routing import loadtest, services
from routing.models import QueueEntry
from tests.conftest import only_on_database

ENTRIES = 200
AGENTS = 100
CHATS = 1  # 100 places for 200 entries, each agent full after one: any stale read of loads overloads someone


def check_invariants(assigned_by_worker: list[list[int]]) -> None:
    claimed = [entry_id for ids in assigned_by_worker for entry_id in ids]
    assert len(claimed) == len(set(claimed)), "an entry was assigned by two dispatchers"
    in_db = dict(QueueEntry.objects.filter(status=QueueEntry.Status.ASSIGNED).values_list("id", "assigned_agent_id"))
    assert set(claimed) == set(in_db)
    assert len(in_db) == AGENTS * CHATS
    assert max(Counter(in_db.values()).values()) <= CHATS, "an agent went past capacity"


@pytest.mark.django_db(transaction=True)
def test_two_processes_on_postgresql_never_double_assign_or_overload() -> None:
    only_on_database("postgresql")
    loadtest.setup_floor(agents=AGENTS, chats_per_agent=CHATS, entries=ENTRIES)
    reports = loadtest.spawn_workers(
        count=2, limit=5, database=settings.DATABASES["default"]["NAME"], env={"DJANGO_SETTINGS_MODULE": "tests.settings"}
    )
    check_invariants([report.assigned for report in reports])


@pytest.mark.django_db(transaction=True)
def test_two_processes_sweeping_different_queues_of_the_same_agents_never_overload_them() -> None:
    # Different queues take different queue-state locks, so only the agent row locks keep capacity here.
    only_on_database("postgresql")
    first, second = loadtest.setup_floor(agents=AGENTS, chats_per_agent=CHATS, entries=ENTRIES, queues=2)
    reports = loadtest.spawn_workers(
        count=2,
        limit=5,
        database=settings.DATABASES["default"]["NAME"],
        env={"DJANGO_SETTINGS_MODULE": "tests.settings"},
        queue_ids=[[first], [second]],
    )
    check_invariants([report.assigned for report in reports])


@pytest.mark.django_db(transaction=True)
def test_threads_on_sqlite_never_double_assign_or_overload() -> None:
    only_on_database("sqlite")
    loadtest.setup_floor(agents=AGENTS, chats_per_agent=CHATS, entries=ENTRIES)
    results: list[list[int]] = [[] for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run(slot: int) -> None:
        try:
            start.wait()
            idle = 0
            while idle < 3:
                result = services.dispatch(now=timezone.now(), limit=10)
                results[slot].extend(result.assigned)
                idle = 0 if result.assigned else idle + 1
        except BaseException as error:  # surfaced below: a thread's failure must fail the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    check_invariants(results)
