"""Queue policy configuration: parsed from stored JSON, refused with a code and a field when wrong."""

from __future__ import annotations

import pytest

from routing.engine import (
    LeastLoad,
    PolicyError,
    QueuePolicy,
    ReturningCustomer,
    RingAll,
    RoundRobin,
    SkillBased,
)
from routing.engine.policy import LoadMeasure


def refused(config: dict) -> PolicyError:  # type: ignore[type-arg]
    with pytest.raises(PolicyError) as caught:
        QueuePolicy.from_config(config)
    return caught.value


def test_a_nested_policy_round_trips_through_its_stored_form() -> None:
    original = QueuePolicy(
        strategy=ReturningCustomer(lookback_days=14, wait_s=20, fallback=SkillBased(tie_break=LeastLoad(measure=LoadMeasure.TODAY))),
        team_ids=frozenset({3, 1}),
        match_language=False,
    )
    assert QueuePolicy.from_config(original.to_config()) == original


def test_a_strategy_without_params_needs_only_its_name() -> None:
    assert QueuePolicy.from_config({"strategy": "round_robin"}).strategy == RoundRobin()


def test_an_unknown_strategy_is_refused_with_the_choices() -> None:
    error = refused({"strategy": "psychic"})
    assert (error.code, error.field) == ("unknown_strategy", "strategy")
    assert "least_load" in error.message


def test_a_negative_wait_is_refused() -> None:
    error = refused({"strategy": "returning_customer", "params": {"wait_s": -5}})
    assert (error.code, error.field) == ("negative", "strategy.params.wait_s")


def test_a_negative_lookback_is_refused() -> None:
    assert refused({"strategy": "returning_customer", "params": {"lookback_days": -1}}).code == "negative"


def test_an_unknown_parameter_is_refused() -> None:
    error = refused({"strategy": "least_load", "params": {"measure": "today", "speed": 3}})
    assert (error.code, error.field) == ("unknown_parameter", "strategy.params.speed")


def test_a_bad_choice_names_the_allowed_values() -> None:
    error = refused({"strategy": "least_load", "params": {"measure": "yesterday"}})
    assert error.code == "invalid_choice" and "current, today" in error.message


def test_an_error_inside_a_fallback_names_its_full_path() -> None:
    error = refused({"strategy": "returning_customer", "params": {"fallback": {"strategy": "nope"}}})
    assert (error.code, error.field) == ("unknown_strategy", "strategy.params.fallback")


def test_returning_customer_cannot_fall_back_to_itself() -> None:
    error = refused({"strategy": "returning_customer", "params": {"fallback": {"strategy": "returning_customer"}}})
    assert (error.code, error.field) == ("not_allowed", "strategy.params.fallback")


def test_skill_based_cannot_break_ties_with_skill_based() -> None:
    with pytest.raises(PolicyError) as caught:
        SkillBased(tie_break=SkillBased())  # type: ignore[arg-type]
    assert caught.value.code == "not_allowed"


def test_ring_all_may_break_skill_ties() -> None:
    assert SkillBased(tie_break=RingAll()).tie_break == RingAll()


def test_team_ids_must_be_a_list_of_ids() -> None:
    assert refused({"strategy": "round_robin", "team_ids": "sales"}).field == "team_ids"


def test_unknown_top_level_settings_are_refused() -> None:
    assert refused({"strategy": "round_robin", "colour": "red"}).code == "unknown_parameter"


def test_a_missing_strategy_is_refused() -> None:
    assert refused({}).code == "missing"
