"""Eligibility filters: each one alone keeps an otherwise perfect agent from being offered work."""

from __future__ import annotations

from routing.engine import AgentPool, AgentStatus, Outcome, WorkKind, decide
from tests.routing.engine.builders import NOW, agent, item, later, policy


def offered(agents: list, work=None, queue_policy=None) -> tuple[int, ...]:  # type: ignore[type-arg]
    decision = decide(agents=agents, item=work or item(), policy=queue_policy or policy(), now=NOW)
    return decision.agent_ids


def test_an_online_agent_under_capacity_is_offered_the_item() -> None:
    assert offered([agent(1)]) == (1,)


def test_away_busy_and_offline_agents_are_not_offered_work() -> None:
    agents = [agent(1, status=AgentStatus.AWAY), agent(2, status=AgentStatus.BUSY), agent(3, status=AgentStatus.OFFLINE)]
    assert offered(agents) == ()


def test_a_paused_agent_is_not_offered_work_even_when_online() -> None:
    assert offered([agent(1, pause_reason="lunch")]) == ()


def test_an_agent_in_wrap_up_is_not_offered_work() -> None:
    assert offered([agent(1, wrap_up_until=later(30))]) == ()


def test_an_agent_whose_wrap_up_ended_is_offered_work_again() -> None:
    assert offered([agent(1, wrap_up_until=NOW)]) == (1,)


def test_an_agent_at_capacity_for_the_kind_is_not_offered_more() -> None:
    assert offered([agent(1, capacity={WorkKind.CHAT: 2}, load={WorkKind.CHAT: 2})]) == ()


def test_capacity_is_counted_per_kind() -> None:
    on_a_call = agent(1, capacity={WorkKind.CHAT: 2, WorkKind.CALL: 1}, load={WorkKind.CALL: 1})
    assert offered([on_a_call], item(kind=WorkKind.CHAT)) == (1,)
    assert offered([on_a_call], item(kind=WorkKind.CALL)) == ()


def test_an_agent_with_no_capacity_for_a_kind_never_gets_it() -> None:
    assert offered([agent(1, capacity={WorkKind.CHAT: 3})], item(kind=WorkKind.TICKET)) == ()


def test_a_queue_restricted_to_teams_only_offers_to_their_members() -> None:
    agents = [agent(1, team_ids=frozenset({7})), agent(2, team_ids=frozenset({8}))]
    assert offered(agents, queue_policy=policy(team_ids=frozenset({8}))) == (2,)


def test_required_skills_need_every_skill_at_the_minimum_level() -> None:
    agents = [
        agent(1, skills={"billing": 2, "refund": 5}),  # billing too low
        agent(2, skills={"billing": 4}),  # no refund
        agent(3, skills={"billing": 3, "refund": 1}),
    ]
    assert offered(agents, item(required_skills={"billing": 3, "refund": 1})) == (3,)


def test_an_item_in_a_language_goes_only_to_agents_who_speak_it() -> None:
    agents = [agent(1, languages=frozenset({"en"})), agent(2, languages=frozenset({"zh", "en"}))]
    assert offered(agents, item(language="zh")) == (2,)


def test_a_queue_can_ignore_the_item_language() -> None:
    agents = [agent(1, languages=frozenset({"en"}))]
    assert offered(agents, item(language="zh"), policy(match_language=False)) == (1,)


def test_agents_who_declined_the_item_are_skipped() -> None:
    agents = [agent(1), agent(2)]
    assert offered(agents, item(excluded_agent_ids=frozenset({1}))) == (2,)


def test_nobody_eligible_is_a_none_eligible_decision() -> None:
    decision = decide(agents=[agent(1, status=AgentStatus.OFFLINE)], item=item(), policy=policy(), now=NOW)
    assert decision.outcome is Outcome.NONE_ELIGIBLE


def test_the_pool_lists_every_eligible_agent_for_manual_take() -> None:
    pool = AgentPool([agent(3), agent(1), agent(2, pause_reason="meeting")], now=NOW)
    assert pool.eligible_ids(item(), policy=policy()) == (1, 3)


def test_advancing_the_pool_clock_ends_wrap_up() -> None:
    pool = AgentPool([agent(1, wrap_up_until=later(30))], now=NOW)
    pool.advance(later(30))
    assert pool.decide(item(), policy=policy()).agent_ids == (1,)


def test_plain_strings_from_model_fields_work_like_the_enums() -> None:
    snapshot = agent(1, status="online", capacity={"chat": 1})
    assert snapshot.status is AgentStatus.ONLINE
    assert offered([snapshot], item(kind="chat")) == (1,)
