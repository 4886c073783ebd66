"""`contactcenter seed --tickets` and `contactcenter bench tickets`, tiny: the seed refuses a desk that has
tickets, and the bench report has every figure. Figures are never compared with wall-clock expectations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("CC_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
OPERATIONS = ("list", "search", "api_list", "api_search", "ticket_page", "bulk_update", "baseline")


def contactcenter(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contactcenter.cli", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": "", "REDIS_URL": "", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=2):
            return True
    except Exception:
        return False


@pytest.fixture(scope="module")
def tiny_report() -> dict[str, Any]:
    need("PostgreSQL", postgres_available(), "127.0.0.1:5432 (CC_TEST_DATABASE_URL)")
    # The bench makes and drops its own cc_bench_* database next to this one; it never writes to it.
    done = contactcenter(
        "bench", "tickets", "--tickets", "200", "--repeat", "4", "--bulk-repeat", "1", "--json", env={"DATABASE_URL": PG_URL}
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_seed_fills_an_empty_desk_and_refuses_a_second_time(tmp_path: Path) -> None:
    first = contactcenter("--data-dir", str(tmp_path), "seed", "--tickets", "30", "--json", "--quiet")
    assert first.returncode == 0, first.stderr[-3000:]
    counts = json.loads(first.stdout)
    assert (counts["tickets"], counts["teams"]) == (30, 5)
    assert counts["timeline_entries"] >= 30 + 199  # every ticket has its "created" entry; one has 200
    again = contactcenter("--data-dir", str(tmp_path), "seed", "--tickets", "30", "--quiet")
    assert again.returncode == 2
    assert "already has 30 tickets" in again.stderr


def test_seed_refuses_a_nonsense_size(tmp_path: Path) -> None:
    done = contactcenter("--data-dir", str(tmp_path), "seed", "--tickets", "0")
    assert done.returncode == 2
    assert "must be positive" in done.stderr


def test_bench_without_postgresql_reports_null_figures_with_a_note() -> None:
    done = contactcenter("bench", "tickets", "--tickets", "10", "--json", env={"DATABASE_URL": "postgres://postgres@127.0.0.1:9/none"})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert "PostgreSQL unreachable" in report["note"]
    assert all(report[name] is None for name in OPERATIONS)
    assert report["targets"]["list_met"] is None


def test_tiny_bench_reports_percentiles_and_query_counts_for_every_operation(tiny_report: dict[str, Any]) -> None:
    assert tiny_report["tickets"] == 200
    for name in OPERATIONS:
        figure = tiny_report[name]
        assert 0 < figure["p50_ms"] <= figure["p95_ms"] <= figure["max_ms"], name
        assert figure["queries_max"] >= 1, name
    assert set(tiny_report["targets"]) == {"p95_ms_below", "list_met", "search_met", "api_list_met", "api_search_met"}
    assert tiny_report["machine"]["load_average_1m"] >= 0


def test_tiny_bench_opens_a_ticket_with_200_entries_and_updates_500_at_most(tiny_report: dict[str, Any]) -> None:
    assert tiny_report["ticket_page"]["timeline_entries"] == 200
    assert 0 < tiny_report["bulk_update"]["tickets_per_call"] <= 500


def test_tiny_bench_list_costs_the_same_queries_whatever_the_page_size(tiny_report: dict[str, Any]) -> None:
    small, large = tiny_report["list"]["queries_page_size_10_vs_200"]
    assert small == large == 3
    assert tiny_report["search"]["queries_max"] == 3
