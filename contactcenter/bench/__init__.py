"""Benchmarks that drive real server processes: ``contactcenter bench chat ...``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

USAGE = """usage: contactcenter bench <benchmark> [options]

benchmarks:
  chat    visitor/agent pairs over real WebSockets: latency, throughput against a bare
          Channels baseline, lost/duplicated messages, memory per idle widget connection

Run `contactcenter bench <benchmark> --help` for its options."""


def _chat(argv: list[str]) -> int:
    from contactcenter.bench.chat import main as chat_main

    return chat_main(argv)


BENCHMARKS: dict[str, Callable[[list[str]], int]] = {"chat": _chat}


def main(argv: Sequence[str]) -> int:
    """Dispatch ``bench <name> ...`` to the named benchmark; later issues add routing, bot, tickets."""
    args = list(argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    run = BENCHMARKS.get(args[0])
    if run is None:
        print(f"unknown benchmark {args[0]!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    return run(args[1:])
