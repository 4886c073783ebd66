"""`contactcenter bench chat` end to end, tiny: real server processes, real sockets, checked figures.

Figures are never compared with wall-clock expectations here; only the shape of the report and
the delivery guarantees (nothing lost, nothing duplicated) are asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--conversations", "5", "--messages", "3", "--idle", "20", "--json", "--quiet"]
PG_URL = os.environ.get("CC_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

REQUIRED_KEYS = {
    "conversations",
    "messages",
    "messages_per_s",
    "p50_ms",
    "p99_ms",
    "lost",
    "duplicated",
    "baseline_messages_per_s",
    "throughput_ratio",
    "rss_mb_per_1k_idle",
    "config",
    "machine",
}


def run_bench(*extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contactcenter.cli", "bench", *extra],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def bench_json(*extra: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = run_bench("chat", *TINY, *extra, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def embedded_report() -> dict[str, Any]:
    return bench_json(env={"DATABASE_URL": "", "REDIS_URL": ""})


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=2):
            return True
    except Exception:
        return False


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping())
    except Exception:
        return False


def test_tiny_run_reports_every_figure(embedded_report: dict[str, Any]) -> None:
    assert embedded_report.keys() >= REQUIRED_KEYS
    assert embedded_report["conversations"] == 5
    assert embedded_report["messages"] == 5 * 3 * 2  # steady and burst phases


def test_tiny_run_loses_and_duplicates_nothing(embedded_report: dict[str, Any]) -> None:
    assert embedded_report["app"]["acked"] == 30
    assert (embedded_report["lost"], embedded_report["duplicated"], embedded_report["app"]["out_of_order"]) == (0, 0, 0)


def test_tiny_run_checks_the_baseline_delivers_everything_too(embedded_report: dict[str, Any]) -> None:
    baseline = embedded_report["baseline"]
    assert (baseline["acked"], baseline["lost"], baseline["duplicated"]) == (30, 0, 0)


def test_tiny_run_names_the_embedded_server_config(embedded_report: dict[str, Any]) -> None:
    config = embedded_report["config"]
    assert (config["database"], config["layer"], config["processes"]) == ("sqlite", "contactcenter.layers.InMemoryChannelLayer", 1)
    assert config["ping_interval_s"] > 0
    assert embedded_report["machine"]["cores"] >= 1


def test_tiny_run_measures_idle_connections(embedded_report: dict[str, Any]) -> None:
    assert embedded_report["idle_connections"] == 20
    assert embedded_report["idle"]["rss_mb_after_idle"] > 0


def test_redis_profile_with_two_processes_loses_and_duplicates_nothing() -> None:
    need("PostgreSQL", postgres_available(), "127.0.0.1:5432 (CC_TEST_DATABASE_URL)")
    need("Redis", redis_available(), "127.0.0.1:6379 (CC_TEST_REDIS_URL)")
    report = bench_json("--redis", "--processes", "2", env={"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL})
    assert (report["config"]["database"], report["config"]["processes"]) == ("postgresql", 2)
    assert (report["conversations"], report["lost"], report["duplicated"]) == (5, 0, 0)


def test_unknown_benchmark_exits_with_usage() -> None:
    done = run_bench("nonesuch")
    assert done.returncode == 2
    assert "chat" in done.stderr


def test_processes_without_redis_are_refused() -> None:
    done = run_bench("chat", "--processes", "2")
    assert done.returncode == 2
    assert "--redis" in done.stderr
