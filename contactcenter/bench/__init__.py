"""Benchmarks that drive real server processes: ``contactcenter bench chat ...``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

USAGE = """usage: contactcenter bench <benchmark> [options]

benchmarks:
  chat    visitor/agent pairs over real WebSockets: latency, throughput against a bare
          Channels baseline, lost/duplicated messages, memory per idle widget connection
  routing routing-engine decisions per second per strategy (1,000 agents, 10,000 waiting)
          against a naive scan-every-agent baseline
  bot     FAQ retrieval at knowledge-base scale (10,000 articles): index build time, memory,
          p50/p99 per question on one core, against embedding the question alone
  tickets the ticket desk at 100,000 tickets on PostgreSQL: p50/p95 of the list with filters,
          search, a 200-entry ticket page and a 500-ticket bulk update, against a raw SELECT

Run `contactcenter bench <benchmark> --help` for its options."""


def _chat(argv: list[str]) -> int:
    from contactcenter.bench.chat import main as chat_main

    return chat_main(argv)


def _routing(argv: list[str]) -> int:
    from contactcenter.bench.routing import run

    return run(argv)


def _bot(argv: list[str]) -> int:
    from contactcenter.bench.bot import run

    return run(argv)


def _tickets(argv: list[str]) -> int:
    from contactcenter.bench.tickets import run

    return run(argv)


BENCHMARKS: dict[str, Callable[[list[str]], int]] = {"chat": _chat, "routing": _routing, "bot": _bot, "tickets": _tickets}


def main(argv: Sequence[str]) -> int:
    """Dispatch ``bench <name> ...`` to the named benchmark."""
    args = list(argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    run = BENCHMARKS.get(args[0])
    if run is None:
        print(f"unknown benchmark {args[0]!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    return run(args[1:])
