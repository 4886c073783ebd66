"""Periodic jobs that apps register and one ticker runs (routing's sweep, chat's abandoned visitors, ...).

Apps register in ``AppConfig.ready()``; ``contactcenter tick`` (and the in-process ticker that
``demo`` and ``serve`` start) calls :func:`run_due` about once a second. Every job must be safe to
run on several nodes at once (row locks, idempotent writes): the ticker has no leader election.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

logger = logging.getLogger(__name__)

Job = Callable[[datetime], object]


@dataclass(slots=True)
class _Entry:
    name: str
    job: Job
    every_s: float
    last_run: float = float("-inf")


_jobs: dict[str, _Entry] = {}


def register(name: str, job: Job, *, every_s: float = 1.0) -> None:
    """Register (or replace) a job by name; it runs at most once per ``every_s`` seconds per ticker."""
    _jobs[name] = _Entry(name, job, every_s)


def unregister(name: str) -> None:
    _jobs.pop(name, None)


def names() -> list[str]:
    return sorted(_jobs)


def run_due(now: datetime, *, monotonic: float | None = None, force: bool = False) -> dict[str, str]:
    """Run every job that is due; a failing job is logged and does not stop the others. Returns name → "ok"/"failed"."""
    clock = time.monotonic() if monotonic is None else monotonic
    outcome: dict[str, str] = {}
    for entry in list(_jobs.values()):
        if not force and clock - entry.last_run < entry.every_s:
            continue
        entry.last_run = clock
        try:
            entry.job(now)
            outcome[entry.name] = "ok"
        except Exception:
            logger.exception("periodic job %s failed", entry.name)
            outcome[entry.name] = "failed"
    return outcome


def start_thread(*, interval_s: float = 1.0) -> threading.Thread:
    """Run the jobs in a daemon thread of this process (the embedded profile's "in-process tasks")."""
    from django.db import close_old_connections
    from django.utils import timezone

    def loop() -> None:
        while True:
            close_old_connections()
            run_due(timezone.now())
            time.sleep(interval_s)

    thread = threading.Thread(target=loop, name="cc-ticker", daemon=True)
    thread.start()
    return thread
