"""Source-based rules (来源分配): channel, page, keyword, language and customer tag pick the queue and priority."""

from __future__ import annotations

import pytest

from routing.engine import PolicyError, Source, SourceRoute, SourceRule, apply_route, route_source
from tests.routing.engine.builders import item


def from_source(**source) -> object:  # type: ignore[no-untyped-def]
    language = source.pop("language", None)
    return item(source=Source(**source), language=language)


def test_a_rule_on_the_channel_routes_items_from_that_channel() -> None:
    rules = [SourceRule(name="app", queue_id=2, channel_ids=frozenset({7}))]
    assert route_source(rules, from_source(channel_id=7)) == SourceRoute("app", 2, 0)
    assert route_source(rules, from_source(channel_id=8)) is None


def test_a_page_url_glob_matches_the_whole_url_ignoring_case() -> None:
    rules = [SourceRule(name="pricing", queue_id=3, page_url_globs=("*/pricing*",))]
    assert route_source(rules, from_source(page_url="https://shop.example/Pricing?plan=pro")) is not None
    assert route_source(rules, from_source(page_url="https://shop.example/blog/about-pricing")) is None


def test_a_page_url_regex_is_searched_anywhere_in_the_url() -> None:
    rules = [SourceRule(name="orders", queue_id=4, page_url_regex=r"/orders/\d+")]
    assert route_source(rules, from_source(page_url="https://shop.example/account/orders/1234")) is not None


def test_a_keyword_in_chinese_matches_inside_the_first_message() -> None:
    rules = [SourceRule(name="refunds", queue_id=5, keywords=("退款", "refund"))]
    assert route_source(rules, from_source(first_message="你好,我想申请退款可以吗")) is not None
    assert route_source(rules, from_source(first_message="Need a REFUND please")) is not None
    assert route_source(rules, from_source(first_message="where is my parcel")) is None


def test_a_language_rule_routes_by_the_item_language() -> None:
    rules = [SourceRule(name="english", queue_id=6, languages=frozenset({"en"}))]
    assert route_source(rules, from_source(language="en")) is not None
    assert route_source(rules, from_source(language="zh")) is None


def test_a_vip_tag_sends_the_customer_to_the_vip_queue_with_higher_priority() -> None:
    rules = [SourceRule(name="vip", queue_id=9, priority=10, customer_tags=frozenset({"VIP"}))]
    assert route_source(rules, from_source(customer_tags=frozenset({"VIP", "repeat"}))) == SourceRoute("vip", 9, 10)


def test_every_condition_of_a_rule_must_hold() -> None:
    rules = [SourceRule(name="app refunds", queue_id=5, channel_ids=frozenset({7}), keywords=("refund",))]
    assert route_source(rules, from_source(channel_id=7, first_message="hello")) is None


def test_the_first_matching_rule_wins_and_a_rule_without_conditions_catches_the_rest() -> None:
    rules = [SourceRule(name="vip", queue_id=9, customer_tags=frozenset({"VIP"})), SourceRule(name="default", queue_id=1)]
    assert route_source(rules, from_source(customer_tags=frozenset({"VIP"}))).rule_name == "vip"  # type: ignore[union-attr]
    assert route_source(rules, from_source()).rule_name == "default"  # type: ignore[union-attr]


def test_applying_a_route_moves_the_item_to_its_queue_and_priority() -> None:
    moved = apply_route(item(queue_id=1, priority=0), SourceRoute("vip", 9, 10))
    assert (moved.queue_id, moved.priority) == (9, 10)


def test_an_invalid_regex_is_refused_when_the_rule_is_made() -> None:
    with pytest.raises(PolicyError) as caught:
        SourceRule(name="bad", queue_id=1, page_url_regex="orders/(")
    assert (caught.value.code, caught.value.field) == ("invalid_pattern", "page_url_regex")
