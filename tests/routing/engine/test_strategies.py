"""One behaviour per selector: which agent each strategy picks among eligible agents."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from routing.engine import (
    AgentPool,
    AgentStatus,
    FewestCalls,
    LastService,
    LeastLoad,
    Linear,
    LongestIdle,
    MostRecent,
    Outcome,
    QueueState,
    RandomPick,
    ReturningCustomer,
    RingAll,
    RoundRobin,
    SkillBased,
    WorkKind,
    decide,
)
from routing.engine.policy import LoadMeasure, TimeBasis
from tests.routing.engine.builders import NOW, agent, ago, item, later, policy

CALL = WorkKind.CALL


def pick(agents, strategy, work=None, **kwargs):  # type: ignore[no-untyped-def]
    return decide(agents=agents, item=work or item(), policy=policy(strategy), now=NOW, **kwargs)


# -- round-robin (轮流分配) ---------------------------------------------------------------------


def test_round_robin_starts_with_the_lowest_agent_id() -> None:
    assert pick([agent(5), agent(2), agent(9)], RoundRobin()).agent_ids == (2,)


def test_round_robin_takes_the_next_agent_id_after_the_pointer() -> None:
    assert pick([agent(5), agent(2), agent(9)], RoundRobin(), state=QueueState(last_agent_id=5)).agent_ids == (9,)


def test_round_robin_wraps_around_after_the_highest_id() -> None:
    assert pick([agent(5), agent(2), agent(9)], RoundRobin(), state=QueueState(last_agent_id=9)).agent_ids == (2,)


def test_round_robin_skips_agents_who_are_not_eligible() -> None:
    agents = [agent(2), agent(5, status=AgentStatus.AWAY), agent(9)]
    assert pick(agents, RoundRobin(), state=QueueState(last_agent_id=2)).agent_ids == (9,)


def test_round_robin_returns_the_moved_pointer_as_new_state() -> None:
    assert pick([agent(2), agent(5)], RoundRobin(), state=QueueState(last_agent_id=2)).state == QueueState(last_agent_id=5)


def test_round_robin_pointer_survives_the_pointed_agent_leaving() -> None:
    # Agent 5 went offline after being served: rotation continues after id 5, not from the start.
    assert pick([agent(2), agent(9)], RoundRobin(), state=QueueState(last_agent_id=5)).agent_ids == (9,)


# -- least-load (负载分配) ----------------------------------------------------------------------


def test_least_load_picks_the_agent_with_fewest_items_in_hand() -> None:
    agents = [agent(1, load={WorkKind.CHAT: 3}), agent(2, load={WorkKind.CHAT: 1}), agent(3, load={WorkKind.CHAT: 2})]
    assert pick(agents, LeastLoad()).agent_ids == (2,)


def test_least_load_breaks_ties_by_longest_since_last_assignment() -> None:
    agents = [agent(1, last_assigned_at=ago(60)), agent(2, last_assigned_at=ago(600)), agent(3, last_assigned_at=ago(5))]
    assert pick(agents, LeastLoad()).agent_ids == (2,)


def test_least_load_puts_never_assigned_agents_first_among_ties() -> None:
    assert pick([agent(1, last_assigned_at=ago(9999)), agent(2)], LeastLoad()).agent_ids == (2,)


def test_least_load_by_today_counts_work_taken_today() -> None:
    agents = [
        agent(1, load={WorkKind.CHAT: 0}, today_count={WorkKind.CHAT: 30}),
        agent(2, load={WorkKind.CHAT: 3}, today_count={WorkKind.CHAT: 4}),
    ]
    assert pick(agents, LeastLoad(measure=LoadMeasure.TODAY)).agent_ids == (2,)


# -- returning customer (熟客分配) --------------------------------------------------------------


def returning(**params) -> ReturningCustomer:  # type: ignore[no-untyped-def]
    params.setdefault("fallback", RoundRobin())
    return ReturningCustomer(**params)


def test_returning_customer_goes_to_the_agent_who_served_them_last() -> None:
    history = {42: LastService(agent_id=3, served_at=ago(3600))}
    decision = pick([agent(1), agent(3)], returning(), item(customer_id=42), history=history)
    assert (decision.agent_ids, decision.via) == ((3,), "returning_customer")


def test_returning_customer_ignores_service_older_than_the_lookback() -> None:
    history = {42: LastService(agent_id=3, served_at=NOW - timedelta(days=31))}
    decision = pick([agent(1), agent(3)], returning(lookback_days=30), item(customer_id=42), history=history)
    assert (decision.agent_ids, decision.via) == ((1,), "round_robin (fallback)")


def test_returning_customer_waits_for_their_agent_who_is_online_but_full() -> None:
    history = {42: LastService(agent_id=3, served_at=ago(60))}
    full = agent(3, capacity={WorkKind.CHAT: 1}, load={WorkKind.CHAT: 1})
    decision = pick([agent(1), full], returning(wait_s=45), item(customer_id=42, enqueued_at=ago(10)), history=history)
    assert (decision.outcome, decision.wait_until) == (Outcome.WAIT, later(35))


def test_returning_customer_falls_back_once_the_wait_is_over() -> None:
    history = {42: LastService(agent_id=3, served_at=ago(60))}
    full = agent(3, capacity={WorkKind.CHAT: 1}, load={WorkKind.CHAT: 1})
    decision = pick([agent(1), full], returning(wait_s=45), item(customer_id=42, enqueued_at=ago(45)), history=history)
    assert (decision.outcome, decision.agent_ids) == (Outcome.OFFER, (1,))


def test_returning_customer_does_not_wait_for_an_offline_agent() -> None:
    history = {42: LastService(agent_id=3, served_at=ago(60))}
    decision = pick([agent(1), agent(3, status=AgentStatus.OFFLINE)], returning(wait_s=600), item(customer_id=42), history=history)
    assert decision.agent_ids == (1,)


def test_returning_customer_waits_for_an_away_agent_only_when_told_to() -> None:
    history = {42: LastService(agent_id=3, served_at=ago(60))}
    agents = [agent(1), agent(3, status=AgentStatus.AWAY)]
    assert pick(agents, returning(), item(customer_id=42), history=history).outcome is Outcome.OFFER
    assert pick(agents, returning(wait_when_away=True), item(customer_id=42), history=history).outcome is Outcome.WAIT


def test_returning_customer_does_not_pick_their_agent_when_the_item_needs_a_skill_they_lack() -> None:
    history = {42: LastService(agent_id=3, served_at=ago(60))}
    agents = [agent(1, skills={"refund": 2}), agent(3)]
    assert pick(agents, returning(), item(customer_id=42, required_skills={"refund": 1}), history=history).agent_ids == (1,)


def test_a_new_customer_is_routed_by_the_fallback() -> None:
    agents = [agent(1, load={WorkKind.CHAT: 2}), agent(2)]
    assert pick(agents, ReturningCustomer(fallback=LeastLoad()), item(customer_id=7), history={}).agent_ids == (2,)


# -- skill-based (技能分配) ---------------------------------------------------------------------


def test_skill_based_prefers_the_highest_total_level_over_required_skills() -> None:
    agents = [
        agent(1, skills={"billing": 3, "refund": 3, "tech": 5}),  # 6 on what is asked
        agent(2, skills={"billing": 5, "refund": 2}),  # 7
        agent(3, skills={"billing": 5}),  # lacks refund
    ]
    assert pick(agents, SkillBased(), item(required_skills={"billing": 1, "refund": 1})).agent_ids == (2,)


def test_skill_based_passes_equal_totals_to_the_tie_break() -> None:
    agents = [agent(1, skills={"billing": 4}, load={WorkKind.CHAT: 2}), agent(2, skills={"billing": 4}, load={WorkKind.CHAT: 1})]
    assert pick(agents, SkillBased(tie_break=LeastLoad()), item(required_skills={"billing": 2})).agent_ids == (2,)


def test_skill_based_skips_a_better_agent_below_a_minimum_level() -> None:
    agents = [agent(1, skills={"billing": 5, "refund": 1}), agent(2, skills={"billing": 2, "refund": 2})]
    assert pick(agents, SkillBased(), item(required_skills={"billing": 1, "refund": 2})).agent_ids == (2,)


def test_skill_based_falls_to_a_lower_tier_when_the_best_agents_are_full() -> None:
    agents = [agent(1, skills={"billing": 5}, load={WorkKind.CHAT: 5}), agent(2, skills={"billing": 1})]
    assert pick(agents, SkillBased(), item(required_skills={"billing": 1})).agent_ids == (2,)


def test_skill_based_round_robin_tie_break_rotates_among_the_best() -> None:
    agents = [agent(1, skills={"tech": 5}), agent(2, skills={"tech": 5}), agent(3, skills={"tech": 2})]
    decision = pick(agents, SkillBased(tie_break=RoundRobin()), item(required_skills={"tech": 1}), state=QueueState(1))
    assert decision.agent_ids == (2,)


# -- call ring strategies -----------------------------------------------------------------------


def call(**fields):  # type: ignore[no-untyped-def]
    return item(kind=CALL, **fields)


def test_ring_all_rings_every_eligible_agent() -> None:
    agents = [agent(3), agent(1), agent(2, load={CALL: 1}), agent(4, status=AgentStatus.AWAY)]
    assert pick(agents, RingAll(), call()).agent_ids == (1, 3)


def test_fewest_calls_picks_the_agent_with_fewest_calls_today() -> None:
    agents = [agent(1, today_count={CALL: 9}), agent(2, today_count={CALL: 2}), agent(3, today_count={CALL: 5})]
    assert pick(agents, FewestCalls(), call()).agent_ids == (2,)


def test_fewest_calls_breaks_ties_by_longest_idle() -> None:
    agents = [agent(1, last_call_ended_at=ago(10)), agent(2, last_call_ended_at=ago(300))]
    assert pick(agents, FewestCalls(), call()).agent_ids == (2,)


def test_longest_idle_picks_whoever_finished_a_call_longest_ago() -> None:
    agents = [agent(1, last_call_ended_at=ago(10)), agent(2, last_call_ended_at=ago(300)), agent(3, last_call_ended_at=ago(30))]
    assert pick(agents, LongestIdle(), call()).agent_ids == (2,)


def test_longest_idle_can_count_from_the_last_assignment() -> None:
    agents = [agent(1, last_assigned_at=ago(300), last_call_ended_at=ago(5)), agent(2, last_assigned_at=ago(20))]
    assert pick(agents, LongestIdle(since=TimeBasis.LAST_ASSIGNED), call()).agent_ids == (1,)


def test_most_recent_picks_whoever_finished_a_call_last() -> None:
    agents = [agent(1, last_call_ended_at=ago(10)), agent(2, last_call_ended_at=ago(300)), agent(3)]
    assert pick(agents, MostRecent(), call()).agent_ids == (1,)


def test_most_recent_by_assignment_sends_the_call_to_the_agent_who_took_the_last_one() -> None:
    # The seed's 最近接通 example: the last call went to B, so this one goes straight to B.
    agents = [agent(1, last_assigned_at=ago(100)), agent(2, last_assigned_at=ago(20))]
    assert pick(agents, MostRecent(since=TimeBasis.LAST_ASSIGNED), call()).agent_ids == (2,)


def test_random_with_the_same_seed_picks_the_same_agents() -> None:
    agents = [agent(i) for i in range(1, 30)]
    first = [pick(agents, RandomPick(), call(), rng=random.Random(5)).agent_ids for _ in range(3)]
    again = [pick(agents, RandomPick(), call(), rng=random.Random(5)).agent_ids for _ in range(3)]
    assert first == again


def test_random_reaches_every_eligible_agent() -> None:
    pool = AgentPool([agent(i) for i in range(1, 6)], now=NOW)
    rng = random.Random(1)
    seen = {pool.decide(call(), policy=policy(RandomPick()), rng=rng).agent_id for _ in range(200)}
    assert seen == {1, 2, 3, 4, 5}


def test_random_without_an_rng_is_refused() -> None:
    with pytest.raises(ValueError, match="rng"):
        pick([agent(1)], RandomPick(), call())


def test_linear_always_rings_the_first_free_agent_in_the_fixed_order() -> None:
    # The seed's 轮流振铃 example: A first every time; B only while A is busy.
    agents = [agent(1, linear_position=2), agent(2, linear_position=1, load={CALL: 1}), agent(3, linear_position=3)]
    assert pick(agents, Linear(), call()).agent_ids == (1,)
