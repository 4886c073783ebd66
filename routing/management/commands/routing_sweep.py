"""``manage routing_sweep``: the periodic routing pass (lapse offers, overflow long waits, dispatch), once or in a loop.

Safe to run on several nodes at once: the sweep's row locks keep them from deciding the same entry.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from routing import services


class Command(BaseCommand):
    help = "Lapse timed-out offers, overflow long waits and dispatch waiting entries (periodically with --interval)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between sweeps")
        parser.add_argument("--once", action="store_true", help="one sweep, then exit")
        parser.add_argument("--limit", type=int, default=200, help="entries one dispatch claims")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            now = timezone.now()
            expired = services.expire_offers(now=now)
            overflowed = len(services.overflow_due(now=now))
            result = services.dispatch(now=now, limit=options["limit"])
            if options["once"] or options["verbosity"] > 1:
                self.stdout.write(
                    f"expired {expired} overflowed {overflowed} claimed {result.claimed} "
                    f"offered {len(result.offered)} assigned {len(result.assigned)}"
                )
            if options["once"]:
                return
            # A full sweep means more is waiting: go again at once instead of sleeping.
            if result.claimed < options["limit"]:
                time.sleep(options["interval"])
