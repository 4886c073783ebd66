"""Several OS processes running the dispatcher against one database: the concurrency tests and the bench use it.

``python -m routing.loadtest worker --database NAME --start-at T --limit N`` sweeps until nothing more can
be assigned and prints JSON: the entry ids this process assigned and when its work started and ended.
Settings come from DJANGO_SETTINGS_MODULE and the environment (DATABASE_URL); ``--database`` replaces
the database name (pytest-django's test database).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def setup_floor(*, agents: int, chats_per_agent: int, entries: int, strategy: str = "least_load", queues: int = 1) -> list[int]:
    """One team, ``agents`` online agents, auto-accept chat queues sharing them and ``entries`` waiting items spread over the queues."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from contactcenter.core.staff.models import AgentProfile, Team
    from routing.models import Queue, QueueEntry

    team = Team.objects.create(name=f"Load team {time.time_ns()}", slug=f"load-{time.time_ns()}")
    user_model = get_user_model()
    stamp = time.time_ns()
    users = user_model.objects.bulk_create([user_model(username=f"load{stamp}-{n}") for n in range(agents)])
    profiles = AgentProfile.objects.bulk_create(
        [
            AgentProfile(user=user, display_name=f"Load agent {n}", status=AgentProfile.Status.ONLINE, max_concurrent_chats=chats_per_agent)
            for n, user in enumerate(users)
        ]
    )
    team.agents.add(*profiles)
    made = [Queue.objects.create(name=f"Load queue {stamp}-{n}", team=team, strategy=strategy, auto_accept=True) for n in range(queues)]
    now = timezone.now()
    QueueEntry.objects.bulk_create(
        [QueueEntry(queue=made[n % queues], kind="chat", item_id=n, enqueued_at=now, priority=n % 3) for n in range(1, entries + 1)]
    )
    return [queue.pk for queue in made]


@dataclass
class WorkerReport:
    assigned: list[int]
    sweeps: int
    started: float
    ended: float


def work(*, start_at: float, limit: int, queue_ids: list[int] | None = None, idle_sweeps: int = 3) -> WorkerReport:
    """Sweep until ``idle_sweeps`` sweeps in a row assign nothing (the other process may hold the rest for a moment)."""
    from django.utils import timezone

    from routing import services

    while time.time() < start_at:  # both processes start together, so their sweeps really contend
        time.sleep(0.001)
    assigned: list[int] = []
    sweeps = idle = 0
    started = ended = time.time()
    while idle < idle_sweeps:
        result = services.dispatch(now=timezone.now(), limit=limit, queue_ids=queue_ids)
        sweeps += 1
        if result.assigned or result.offered:
            assigned.extend(result.assigned or result.offered)
            ended = time.time()
            idle = 0
        else:
            idle += 1
            time.sleep(0.005)
    return WorkerReport(assigned=assigned, sweeps=sweeps, started=started, ended=ended)


def spawn_workers(
    *,
    count: int,
    limit: int,
    database: str | None = None,
    env: dict[str, str] | None = None,
    queue_ids: Sequence[Sequence[int] | None] | None = None,
    delay_s: float = 1.5,
) -> list[WorkerReport]:
    """Run ``count`` worker processes that start sweeping at the same moment; ``queue_ids[n]``: worker n's queues (None: all)."""
    start_at = time.time() + delay_s  # time enough for every process to import Django and connect
    argv = [sys.executable, "-m", "routing.loadtest", "worker", "--start-at", repr(start_at), "--limit", str(limit)]
    if database:
        argv += ["--database", database]
    procs = []
    for n in range(count):
        queues = queue_ids[n] if queue_ids else None
        extra = ["--queues", ",".join(map(str, queues))] if queues else []
        procs.append(
            subprocess.Popen(  # noqa: S603 (our own module)
                [*argv, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}
            )
        )
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        if proc.returncode != 0:
            raise RuntimeError(f"dispatch worker failed ({proc.returncode}):\n{err}")
        data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        reports.append(WorkerReport(**data))
    return reports


def setup_database(*, agents: int, chats_per_agent: int, entries: int) -> list[int]:
    """Migrate the (empty) database the settings name, then lay out the floor."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return setup_floor(agents=agents, chats_per_agent=chats_per_agent, entries=entries)


def _django(database: str | None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")
    import django
    from django.conf import settings

    if database:
        settings.DATABASES["default"]["NAME"] = database
    django.setup()
    from routing import handlers

    # The load routes made-up item ids: no owner (chat's handlers look the items up) takes part.
    handlers._registry.clear()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m routing.loadtest")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker")
    worker.add_argument("--database")
    worker.add_argument("--start-at", type=float, required=True)
    worker.add_argument("--limit", type=int, default=100)
    worker.add_argument("--queues", help="comma-separated queue ids (default: every queue)")
    setup = sub.add_parser("setup", help="migrate and create agents, a queue and waiting entries")
    setup.add_argument("--agents", type=int, default=200)
    setup.add_argument("--chats", type=int, default=10)
    setup.add_argument("--entries", type=int, default=2000)
    args = parser.parse_args(argv)
    if args.command == "setup":
        _django(None)
        queues = setup_database(agents=args.agents, chats_per_agent=args.chats, entries=args.entries)
        sys.stdout.write(json.dumps({"queue_ids": queues}) + "\n")
        return 0
    _django(args.database)
    report = work(start_at=args.start_at, limit=args.limit, queue_ids=[int(q) for q in args.queues.split(",")] if args.queues else None)
    sys.stdout.write(json.dumps(report.__dict__) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
