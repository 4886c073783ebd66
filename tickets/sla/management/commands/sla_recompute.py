"""``contactcenter manage sla_recompute``: recompute open tickets' SLA clocks (after policy, calendar or pausing-stage changes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from tickets.sla import services


class Command(BaseCommand):
    help = "Recompute the SLA clocks of every open ticket, or of the tickets given by id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ticket_ids", nargs="*", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.recompute_open_tickets(now=timezone.now(), ticket_ids=options["ticket_ids"] or None)
        self.stdout.write(f"recomputed {count} tickets")
