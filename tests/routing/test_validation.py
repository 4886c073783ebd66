"""Queue and source-rule configuration is validated with clear field errors (admin and API share the checks)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from contactcenter.core.staff.models import Skill
from routing.models import Queue, SourceRule
from tests.routing.helpers import make_queue

pytestmark = pytest.mark.django_db


def errors_of(obj: Queue | SourceRule) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    return caught.value.message_dict


def test_a_valid_queue_passes_and_builds_its_engine_policy() -> None:
    queue = make_queue(strategy="least_load", params={"measure": "today"})
    queue.full_clean()
    assert queue.policy().strategy.name == "least_load"
    assert queue.policy().team_ids == {queue.team_id}


def test_an_unknown_skill_slug_is_a_required_skills_error() -> None:
    Skill.objects.create(name="Billing", slug="billing")
    queue = make_queue(required_skills={"billing": 2, "refunds": 1})
    assert "unknown skill: refunds" in errors_of(queue)["required_skills"][0]


def test_a_negative_offer_timeout_is_refused() -> None:
    queue = make_queue(offer_timeout_s=-5)
    assert errors_of(queue)["offer_timeout_s"] == ["must not be negative"]


def test_a_negative_strategy_parameter_names_its_path() -> None:
    queue = make_queue(strategy="returning_customer", params={"wait_s": -1})
    message = errors_of(queue)["params"][0]
    assert "must not be negative" in message
    assert "strategy.params.wait_s" in message


def test_an_unknown_strategy_parameter_is_refused() -> None:
    queue = make_queue(strategy="round_robin", params={"speed": 3})
    assert "unknown parameter" in errors_of(queue)["params"][0]


def test_overflow_to_another_queue_needs_a_target_of_the_same_kind() -> None:
    queue = make_queue(max_wait_s=60, overflow_action=Queue.OverflowAction.QUEUE)
    assert "overflow_queue" in errors_of(queue)
    calls = make_queue(kind="call")
    queue.overflow_queue = calls
    assert "same kind" in errors_of(queue)["overflow_queue"][0]


def test_a_source_rule_with_a_broken_regex_is_refused() -> None:
    rule = SourceRule(name="vip", queue=make_queue(), page_url_regex="(unclosed")
    assert "not a valid regular expression" in errors_of(rule)["page_url_regex"][0]


def test_errors_and_names_are_translated_into_chinese() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        queue = make_queue(offer_timeout_s=-5)
        assert errors_of(queue)["offer_timeout_s"] == ["不能为负数"]
        assert str(Queue._meta.verbose_name) == "队列"
