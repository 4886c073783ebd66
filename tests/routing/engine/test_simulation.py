"""The staffing simulation runs the real engine and agrees with Erlang C when its assumptions hold.

Tolerances: an M/M/3 queue at 2 erlangs (occupancy 2/3), 4 seeds x 200 hours (about 86,000
calls). Measured over 12 seeds, one 200-hour run has a relative standard deviation of about 2.3%
for p_wait, 5.5% for the mean wait, 1.6% for the 20-second service level and 0.9% for occupancy,
with no visible bias. The mean of 4 runs halves those, so the bounds below (5%, 10%, 4%, 2%) sit
3.5 to 5 standard deviations out: a correct simulation passes, while a wrong queue discipline,
clock or rate shows up as tens of percent.
"""

from __future__ import annotations

import statistics

import pytest

from routing.engine import Linear, PolicyError, RoundRobin
from routing.engine.erlang import ErlangCPrediction
from routing.engine.simulation import SimulationConfig, SimulationResult, simulate

SEEDS = (1, 2, 3, 4)


@pytest.fixture(scope="module")
def runs() -> list[SimulationResult]:
    return [simulate(SimulationConfig(agents=3, arrivals_per_hour=120, mean_handle_s=60, hours=200, seed=seed)) for seed in SEEDS]


@pytest.fixture(scope="module")
def erlang(runs: list[SimulationResult]) -> ErlangCPrediction:
    assert runs[0].erlang_c is not None
    return runs[0].erlang_c


def mean(runs: list[SimulationResult], figure: str) -> float:
    return statistics.fmean(getattr(run, figure) for run in runs)


def test_the_share_that_waits_agrees_with_erlang_c(runs: list[SimulationResult], erlang: ErlangCPrediction) -> None:
    assert mean(runs, "p_wait") == pytest.approx(erlang.p_wait, rel=0.05)


def test_the_mean_wait_agrees_with_erlang_c(runs: list[SimulationResult], erlang: ErlangCPrediction) -> None:
    assert mean(runs, "avg_wait_s") == pytest.approx(erlang.avg_wait_s, rel=0.10)


def test_the_service_level_agrees_with_erlang_c(runs: list[SimulationResult], erlang: ErlangCPrediction) -> None:
    assert mean(runs, "service_level") == pytest.approx(erlang.service_level, rel=0.04)


def test_occupancy_agrees_with_the_offered_traffic(runs: list[SimulationResult], erlang: ErlangCPrediction) -> None:
    assert mean(runs, "occupancy") == pytest.approx(erlang.occupancy, rel=0.02)


def test_without_patience_nobody_abandons(runs: list[SimulationResult]) -> None:
    assert all(run.abandoned == 0 and run.answered == run.arrivals for run in runs)


def test_impatient_callers_abandon_and_the_rest_wait_less() -> None:
    base = {"agents": 3, "arrivals_per_hour": 150, "mean_handle_s": 60, "hours": 40, "seed": 9}
    patient = simulate(SimulationConfig(**base))
    impatient = simulate(SimulationConfig(**base, patience_s=30))
    assert impatient.abandon_rate > 0.05
    assert impatient.avg_wait_s < patient.avg_wait_s * 0.8


def test_the_same_seed_gives_the_same_figures() -> None:
    config = SimulationConfig(agents=2, arrivals_per_hour=60, mean_handle_s=90, hours=5, seed=3, patience_s=120)
    assert simulate(config).as_dict() == simulate(config).as_dict()


def test_the_strategy_decides_who_works_linear_loads_the_first_agents_hardest() -> None:
    base = {"agents": 4, "arrivals_per_hour": 90, "mean_handle_s": 60, "hours": 20, "seed": 5}
    linear = simulate(SimulationConfig(**base, strategy=Linear()))
    rotating = simulate(SimulationConfig(**base, strategy=RoundRobin()))
    spread = lambda r: r.agent_occupancy_max - r.agent_occupancy_min  # noqa: E731
    assert spread(linear) > 3 * spread(rotating)


def test_a_config_without_agents_is_refused() -> None:
    with pytest.raises(PolicyError) as caught:
        SimulationConfig(agents=0, arrivals_per_hour=10, mean_handle_s=60, hours=1, seed=1)
    assert caught.value.field == "agents"


def test_the_json_figures_name_the_service_level_threshold() -> None:
    result = simulate(SimulationConfig(agents=2, arrivals_per_hour=30, mean_handle_s=60, hours=2, seed=1))
    figures = result.as_dict()
    assert {"avg_wait_s", "p_wait", "service_level_20s", "abandon_rate", "occupancy", "erlang_c"} <= set(figures)
