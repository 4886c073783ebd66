"""Erlang B and C: known values, and no overflow on large floors."""

from __future__ import annotations

import pytest

from routing.engine.erlang import erlang_b, erlang_c, predict


def test_erlang_b_of_one_agent_and_one_erlang_is_a_half() -> None:
    assert erlang_b(1, 1.0) == pytest.approx(0.5)


def test_erlang_c_of_two_agents_and_one_erlang_is_a_third() -> None:
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)


def test_erlang_c_matches_the_textbook_table_value() -> None:
    # 10 agents, 8 erlangs: P(wait) = 0.4092 in published Erlang C tables.
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=5e-4)


def test_erlang_c_stays_finite_for_thousands_of_agents() -> None:
    assert 0.0 < erlang_c(3000, 2950.0) < 1.0


def test_an_overloaded_queue_always_waits_and_has_no_prediction() -> None:
    assert erlang_c(3, 3.0) == 1.0
    assert predict(agents=3, arrivals_per_hour=200, mean_handle_s=60) is None


def test_the_prediction_gives_wait_service_level_and_occupancy() -> None:
    prediction = predict(agents=3, arrivals_per_hour=120, mean_handle_s=60, service_level_s=20)
    assert prediction is not None
    assert prediction.avg_wait_s == pytest.approx(prediction.p_wait * 60 / (3 - 2))
    assert prediction.occupancy == pytest.approx(2 / 3)
    assert 0 < prediction.service_level < 1
