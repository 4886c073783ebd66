"""``contactcenter bench tickets``: the ticket desk at 100,000 tickets on PostgreSQL, against a raw-SQL baseline.

On a scratch database (``cc_bench_<pid>_...`` next to DATABASE_URL's, dropped after) it runs
``contactcenter.seed``, then times the desk's real reads and writes in this process: the list and
search through ``tickets.selectors`` and through the REST API (``GET /api/tickets/`` with Django's
test client: middleware, token auth, DRF, serializers, no socket), the ticket page and the bulk
update through the selectors and services: p50/p95 wall-clock milliseconds, the queries each
operation makes, and a baseline measured in the same run (a raw ``SELECT ... ORDER BY updated_at
DESC LIMIT 50`` on the same table) so the ratios hold on a noisy machine. Without PostgreSQL the
figures are null with a note.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

TARGET_P95_MS = 150.0
LIST_PAGE_SIZE = 50
BULK_SIZE = 500
SEARCH_TERMS = ("退款", "refund", "无法登录", "password reset", "快递 送达", "crash", "发票抬头", "coupon code")
BASELINE_SQL = (
    "SELECT id, number, subject, status, priority, updated_at FROM tickets_ticket WHERE merged_into_id IS NULL "
    "ORDER BY updated_at DESC, id DESC LIMIT 50"
)
METHOD = (
    "in one process on a fresh PostgreSQL database seeded by contactcenter.seed (ANALYZE after seeding); "
    "each operation is called through tickets.selectors / tickets.services as the views will, cycling over its variants, "
    "GC off during a call (as timeit), wall clock; queries counted on one extra call; "
    "baseline: the raw SQL in 'baseline.sql' through the same connection"
)
FIGURES = ("baseline", "list", "search", "api_list", "api_search", "ticket_page", "bulk_update")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contactcenter bench tickets", description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=None, help="default: tickets / 5")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=60, help="timed calls of each read operation")
    parser.add_argument("--bulk-repeat", type=int, default=10, help="timed bulk updates (each on a different 500 tickets)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _percentiles(samples: Sequence[float]) -> dict[str, float | int | None]:
    if not samples:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None, "runs": 0}
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2), "max_ms": round(ordered[-1], 2), "runs": len(ordered)}


def _timed_ms(call: Callable[[], Any]) -> tuple[float, Any]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        result = call()
        return (time.perf_counter() - start) * 1000, result
    finally:
        if enabled:
            gc.enable()


def _queries(call: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def _measure(variants: Sequence[tuple[str, Callable[[], Any]]], *, repeat: int) -> dict[str, Any]:
    """Warm each variant once, count its queries, then time ``repeat`` calls cycling over the variants."""
    queries = {}
    for name, call in variants:
        call()
        queries[name] = _queries(call)
    by_variant: dict[str, list[float]] = {name: [] for name, _ in variants}
    for n in range(max(1, repeat)):
        name, call = variants[n % len(variants)]
        by_variant[name].append(_timed_ms(call)[0])
    samples = [sample for found in by_variant.values() for sample in found]
    return {
        **_percentiles(samples),
        "queries": queries,
        "queries_max": max(queries.values()),
        "p50_ms_by_variant": {name: _percentiles(found)["p50_ms"] for name, found in by_variant.items()},
    }


def _null_report(args: argparse.Namespace, note: str) -> dict[str, Any]:
    return {
        "benchmark": "tickets",
        "tickets": args.tickets,
        "note": note,
        **{name: None for name in FIGURES},
        "targets": {"p95_ms_below": TARGET_P95_MS, "list_met": None, "search_met": None, "api_list_met": None, "api_search_met": None},
        "machine": _machine(),
    }


def _machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}


def run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    if args.tickets < 1 or args.repeat < 1 or args.bulk_repeat < 1:
        print("contactcenter bench tickets: --tickets, --repeat and --bulk-repeat must be positive", file=sys.stderr)
        return 2
    from contactcenter.bench.chat import DEFAULT_DATABASE_URL
    from contactcenter.bench.servers import PostgresDatabase

    database = PostgresDatabase(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    try:
        database.create()
    except Exception as error:  # no PostgreSQL here: say so instead of inventing figures
        report = _null_report(args, f"PostgreSQL unreachable ({type(error).__name__}): nothing measured")
    else:
        try:
            report = _bench(args, database.url, log=(lambda _line: None) if args.json else _print)
        finally:
            _close_connections()
            database.drop()
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _print_summary(report)
    return 0


def _print(line: str) -> None:
    print(line, flush=True)


def _close_connections() -> None:
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()


def _bench(args: argparse.Namespace, url: str, *, log: Callable[[str], None]) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = ""
    os.environ["CC_DATA_DIR"] = tempfile.mkdtemp(prefix="cc-bench-tickets-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "contactcenter.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from contactcenter.core.staff.models import AgentProfile
    from contactcenter.seed import seed_tickets
    from tickets import selectors, services
    from tickets.models import Status, Ticket

    load_before = round(os.getloadavg()[0], 2)
    call_command("migrate", interactive=False, verbosity=0)
    now = timezone.now()
    seeded = seed_tickets(tickets=args.tickets, customers=args.customers, seed=args.seed, now=now, progress=log)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    supervisor = AgentProfile.objects.get(pk=seeded.supervisor_id)
    agent = AgentProfile.objects.filter(role=AgentProfile.Role.AGENT).order_by("id").first()
    assert agent is not None
    team_id = agent.teams.values_list("id", flat=True).first()
    filters = selectors.TicketFilters

    def page(actor: Any, sort: str = "-updated", page_size: int = LIST_PAGE_SIZE, **conditions: Any) -> Callable[[], Any]:
        return lambda: selectors.ticket_list(actor=actor, now=now, filters=filters(**conditions), sort=sort, page_size=page_size)

    log("measuring the baseline and the list")

    def baseline() -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL)
            return list(cursor.fetchall())

    results: dict[str, Any] = {"baseline": {**_measure([("raw_select_limit_50", baseline)], repeat=args.repeat), "sql": BASELINE_SQL}}
    list_variants = [
        ("supervisor_open_by_updated", page(supervisor, status=(Status.OPEN,))),
        ("agent_team_open_by_priority", page(agent, "-priority", status=(Status.OPEN,), team_ids=(team_id,))),
        ("supervisor_unassigned_by_created", page(supervisor, "-created", status=(Status.OPEN,), unassigned=True)),
        ("agent_tag_by_updated", page(agent, tag="退款")),
        ("supervisor_urgent_high_due", page(supervisor, "due", status=(Status.OPEN,), priority=("urgent", "high"))),
        ("agent_all_page_3", lambda: selectors.ticket_list(actor=agent, now=now, page=3)),
    ]
    results["list"] = _measure(list_variants, repeat=args.repeat)
    results["list"]["queries_page_size_10_vs_200"] = [
        _queries(page(supervisor, status=(Status.OPEN,), page_size=10)),
        _queries(page(supervisor, status=(Status.OPEN,), page_size=200)),
    ]
    log("measuring search")
    search_variants = [
        (f"{who}:{term}", page(actor, q=term)) for term in SEARCH_TERMS for who, actor in (("supervisor", supervisor), ("agent", agent))
    ]
    results["search"] = _measure(search_variants, repeat=args.repeat)
    results["search"]["hits"] = {name: call().total for name, call in search_variants[::2]}

    log("measuring the REST API's list and search")
    results["api_list"], results["api_search"] = _measure_api(supervisor=supervisor, agent=agent, team_id=team_id, repeat=args.repeat)

    log("measuring the ticket page")
    long_id = seeded.long_timeline_ticket_ids[0]

    def ticket_page() -> int:
        selectors.ticket_detail(actor=supervisor, ticket_id=long_id)
        timeline = selectors.ticket_timeline(actor=supervisor, ticket_id=long_id)
        selectors.ticket_links(actor=supervisor, ticket_id=long_id)
        return len(timeline)

    results["ticket_page"] = {**_measure([("detail_timeline_links", ticket_page)], repeat=args.repeat), "timeline_entries": ticket_page()}

    log("measuring bulk updates")
    open_ids = list(Ticket.objects.filter(status=Status.OPEN, merged_into__isnull=True).order_by("id").values_list("id", flat=True))
    slices = [open_ids[n * BULK_SIZE : (n + 1) * BULK_SIZE] for n in range(len(open_ids) // BULK_SIZE)] or [open_ids]

    def bulk(n: int) -> Callable[[], Any]:
        ids = slices[n % len(slices)]
        priority = "high" if n % 2 == 0 else "normal"
        return lambda: services.bulk_update(ticket_ids=ids, actor=supervisor, now=timezone.now(), priority=priority, add_tags=["bench"])

    bulk_queries = _queries(bulk(0))
    bulk_samples = [_timed_ms(bulk(n + 1))[0] for n in range(args.bulk_repeat)]
    results["bulk_update"] = {
        **_percentiles(bulk_samples),
        "tickets_per_call": len(slices[0]),
        "change": "priority high/normal alternately + add tag 'bench' (each call on another slice of open tickets)",
        "queries": {"priority_and_tag": bulk_queries},
        "queries_max": bulk_queries,
    }
    base = results["baseline"]["p95_ms"] or 0
    for name in ("list", "search", "api_list", "api_search", "ticket_page", "bulk_update"):
        results[name]["p95_over_baseline_p95"] = round(results[name]["p95_ms"] / base, 1) if base else None
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    return {
        "benchmark": "tickets",
        "tickets": args.tickets,
        "seed": {
            "seconds": round(seeded.seconds, 1),
            "customers": seeded.customers,
            "agents": seeded.agents,
            "teams": seeded.teams,
            "timeline_entries": seeded.timeline_entries,
        },
        "repeat": args.repeat,
        "page_size": LIST_PAGE_SIZE,
        "method": METHOD,
        **results,
        "targets": {
            "p95_ms_below": TARGET_P95_MS,
            "list_met": results["list"]["p95_ms"] < TARGET_P95_MS,
            "search_met": results["search"]["p95_ms"] < TARGET_P95_MS,
            "api_list_met": results["api_list"]["p95_ms"] < TARGET_P95_MS,
            "api_search_met": results["api_search"]["p95_ms"] < TARGET_P95_MS,
        },
        "machine": {**_machine(), "load_average_1m_before": load_before, "postgresql": server_version},
    }


def _measure_api(*, supervisor: Any, agent: Any, team_id: int | None, repeat: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """GET /api/tickets/ through Django's whole request path (middleware, token auth, DRF, serializers), in process, no socket."""
    from django.test import Client
    from rest_framework.authtoken.models import Token

    clients = {
        who: Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=actor.user)[0].key}")
        for who, actor in (("supervisor", supervisor), ("agent", agent))
    }

    def get(who: str, **params: Any) -> Callable[[], Any]:
        def call() -> Any:
            response = clients[who].get("/api/tickets/", {"page_size": LIST_PAGE_SIZE, **params})
            if response.status_code != 200:
                raise RuntimeError(f"GET /api/tickets/ {params}: {response.status_code} {response.content[:300]!r}")
            return response

        return call

    listing = [
        ("supervisor_open_by_updated", get("supervisor", status="open")),
        ("agent_team_open_by_priority", get("agent", status="open", team=team_id, sort="-priority")),
        ("supervisor_unassigned_by_created", get("supervisor", status="open", unassigned="true", sort="-created")),
        ("agent_tag_by_updated", get("agent", tag="退款")),
    ]
    searching = [(f"{who}:{term}", get(who, q=term)) for term in SEARCH_TERMS[:4] for who in ("supervisor", "agent")]
    return _measure(listing, repeat=repeat), _measure(searching, repeat=repeat)


def _print_summary(report: dict[str, Any]) -> None:
    if report.get("note"):
        print(report["note"])
        return
    for name in FIGURES:
        figure = report[name]
        print(f"{name:12} p50 {figure['p50_ms']:>9} ms  p95 {figure['p95_ms']:>9} ms  queries {figure['queries_max']}")
    targets = report["targets"]
    met = ", ".join(f"{name[:-4]} {'met' if ok else 'NOT met'}" for name, ok in targets.items() if name.endswith("_met"))
    print(f"targets (p95 < {targets['p95_ms_below']} ms): {met}; load {report['machine']['load_average_1m']}")


def main(argv: Sequence[str] | None = None) -> int:
    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
