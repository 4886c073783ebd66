"""``contactcenter simulate`` and ``contactcenter bench routing`` print their figures as JSON."""

from __future__ import annotations

import json
import socket

import pytest

from contactcenter.cli import main
from tests.conftest import need


def test_simulate_prints_the_staffing_figures_with_the_erlang_c_prediction(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["simulate", "--agents", "3", "--arrivals-per-hour", "100", "--mean-handle-s", "60"]
    assert main([*argv, "--strategy", "round_robin", "--hours", "2", "--seed", "4", "--patience-s", "90", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["strategy"] == "round_robin"
    assert {"avg_wait_s", "p_wait", "service_level_20s", "abandon_rate", "occupancy"} <= set(figures)
    assert figures["erlang_c"]["traffic_erlangs"] == pytest.approx(100 / 3600 * 60, abs=1e-3)


def test_simulate_refuses_a_floor_without_agents(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--agents", "0", "--arrivals-per-hour", "10", "--mean-handle-s", "60"]) == 2
    assert "agents" in capsys.readouterr().err


def test_bench_routing_reports_every_strategy_against_the_naive_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    small = ["--agents", "20", "--waiting", "80", "--skills", "6", "--baseline-items", "20", "--repeat", "1", "--no-e2e"]
    assert main(["bench", "routing", *small, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"round_robin", "least_load", "skill_based", "returning_customer", "call_ring_all", "call_linear"} <= set(report["strategies"])
    first = report["strategies"]["round_robin"]
    assert first["sweep"]["offers"] + first["sweep"]["none_eligible"] == 80
    assert first["naive_baseline"]["steady_decisions_per_s"] > 0


def test_bench_routing_measures_assignments_through_postgresql_with_two_processes(capsys: pytest.CaptureFixture[str]) -> None:
    need("PostgreSQL", _postgres_reachable(), "the end-to-end figure needs a PostgreSQL server")
    small = ["--agents", "10", "--waiting", "20", "--strategy", "round_robin", "--repeat", "1"]
    assert (
        main(["bench", "routing", *small, "--e2e-agents", "5", "--e2e-chats", "4", "--e2e-entries", "30", "--e2e-limit", "7", "--json"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["e2e_assignments_per_s"] > 0
    assert (report["e2e"]["assigned"], report["e2e"]["assigned_twice"]) == (20, 0)  # 5 agents x 4 chats


def test_bench_routing_says_why_the_end_to_end_figure_is_missing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgres://postgres@127.0.0.1:{_closed_port()}/nowhere")
    assert main(["bench", "routing", "--agents", "10", "--waiting", "20", "--strategy", "round_robin", "--repeat", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["e2e_assignments_per_s"] is None
    assert "PostgreSQL unreachable" in report["e2e"]["note"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return False
    return True
