"""match_batch and the pool's bookkeeping: order, reservations, queue state."""

from __future__ import annotations

import pytest

from routing.engine import (
    AgentPool,
    LeastLoad,
    Outcome,
    QueueState,
    RingAll,
    RoundRobin,
    SkillBased,
    WorkKind,
    match_batch,
)
from tests.routing.engine.builders import NOW, agent, ago, item, policy

CHAT = WorkKind.CHAT


def test_the_batch_serves_the_highest_priority_first_then_the_oldest() -> None:
    pool = AgentPool([agent(1, capacity={CHAT: 1})], now=NOW)
    items = [item(1, enqueued_at=ago(100)), item(2, enqueued_at=ago(5), priority=2), item(3, enqueued_at=ago(50), priority=2)]
    result = match_batch(pool, items, policies={1: policy()})
    assert [(d.item_id, d.outcome) for d in result.decisions] == [
        (3, Outcome.OFFER),
        (2, Outcome.NONE_ELIGIBLE),
        (1, Outcome.NONE_ELIGIBLE),
    ]


def test_the_batch_counts_each_offer_against_capacity() -> None:
    pool = AgentPool([agent(1, capacity={CHAT: 2}), agent(2, capacity={CHAT: 1})], now=NOW)
    result = match_batch(pool, [item(i) for i in range(1, 6)], policies={1: policy(LeastLoad())})
    assert [d.agent_ids for d in result.decisions] == [(1,), (2,), (1,), (), ()]


def test_the_batch_rotates_round_robin_and_returns_the_pointer_per_queue() -> None:
    pool = AgentPool([agent(1), agent(2), agent(3)], now=NOW)
    items = [item(1, queue_id=1), item(2, queue_id=1, enqueued_at=ago(-1)), item(3, queue_id=2, enqueued_at=ago(-2))]
    result = match_batch(
        pool, items, policies={1: policy(RoundRobin()), 2: policy(RoundRobin())}, states={1: QueueState(1), 2: QueueState(3)}
    )
    assert [d.agent_ids for d in result.decisions] == [(2,), (3,), (1,)]
    assert result.states == {1: QueueState(3), 2: QueueState(1)}


def test_an_item_in_a_queue_without_policy_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="queue 9"):
        match_batch(AgentPool([agent(1)], now=NOW), [item(queue_id=9)], policies={1: policy()})


def test_ring_all_reserves_every_rung_agent_so_the_next_call_waits() -> None:
    pool = AgentPool([agent(1), agent(2)], now=NOW)
    calls = [item(1, kind=WorkKind.CALL), item(2, kind=WorkKind.CALL, enqueued_at=ago(-1))]
    result = match_batch(pool, calls, policies={1: policy(RingAll())})
    assert [d.agent_ids for d in result.decisions] == [(1, 2), ()]


def test_settling_a_ring_all_offer_frees_the_agents_who_did_not_answer() -> None:
    pool = AgentPool([agent(1), agent(2), agent(3)], now=NOW)
    decision = pool.decide(item(kind=WorkKind.CALL), policy=policy(RingAll()))
    pool.apply(decision)
    pool.settle(decision, accepted_by=2)
    assert [pool.load_of(i, WorkKind.CALL) for i in (1, 2, 3)] == [0, 1, 0]
    assert pool.today_of(2, WorkKind.CALL) == 1


def test_a_declined_single_offer_gives_the_capacity_back() -> None:
    pool = AgentPool([agent(1, capacity={CHAT: 1})], now=NOW)
    decision = pool.decide(item(), policy=policy())
    pool.apply(decision)
    pool.settle(decision, accepted_by=None)
    assert pool.is_available(1, CHAT)


def test_releasing_work_makes_a_full_agent_available_again() -> None:
    pool = AgentPool([agent(1, capacity={CHAT: 1}, load={CHAT: 1})], now=NOW)
    pool.release(1, CHAT)
    assert pool.decide(item(), policy=policy()).agent_ids == (1,)


def test_releasing_more_than_was_held_is_refused() -> None:
    with pytest.raises(ValueError, match="no chat"):
        AgentPool([agent(1)], now=NOW).release(1, CHAT)


def test_updating_an_agent_status_takes_effect_in_the_next_decision() -> None:
    pool = AgentPool([agent(1), agent(2)], now=NOW)
    pool.decide(item(), policy=policy(LeastLoad()))  # builds the index before the change
    pool.update_agent(agent(1, pause_reason="training"))
    assert pool.decide(item(), policy=policy(LeastLoad())).agent_ids == (2,)


def test_starting_wrap_up_holds_the_agent_until_it_ends() -> None:
    pool = AgentPool([agent(1)], now=NOW)
    pool.start_wrap_up(1, until=ago(-20))
    assert pool.decide(item(), policy=policy()).outcome is Outcome.NONE_ELIGIBLE
    pool.advance(ago(-20))
    assert pool.decide(item(), policy=policy()).agent_ids == (1,)


def test_the_same_agent_twice_in_the_snapshots_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        AgentPool([agent(1), agent(1)], now=NOW)


def test_a_shorter_wrap_up_replaces_a_longer_one() -> None:
    pool = AgentPool([agent(1)], now=NOW)
    pool.start_wrap_up(1, until=ago(-60))
    pool.start_wrap_up(1, until=ago(-10))
    pool.advance(ago(-10))
    assert pool.is_available(1, CHAT)


def test_a_skilled_agent_found_full_is_offered_again_once_released() -> None:
    pool = AgentPool([agent(1, skills={"tech": 5}, capacity={CHAT: 1}), agent(2, skills={"tech": 1})], now=NOW)
    skilled = policy(SkillBased())
    first = pool.decide(item(1, required_skills={"tech": 1}), policy=skilled)
    pool.apply(first)
    assert pool.decide(item(2, required_skills={"tech": 1}), policy=skilled).agent_ids == (2,)  # 1 is full now
    pool.release(1, CHAT)
    assert pool.decide(item(3, required_skills={"tech": 1}), policy=skilled).agent_ids == (1,)


def test_an_agent_who_lost_a_skill_is_no_longer_offered_work_needing_it() -> None:
    pool = AgentPool([agent(1, skills={"tech": 5}), agent(2, skills={"tech": 1})], now=NOW)
    skilled = policy(SkillBased())
    assert pool.decide(item(required_skills={"tech": 1}), policy=skilled).agent_ids == (1,)
    pool.update_agent(agent(1, skills={"billing": 5}))
    assert pool.decide(item(required_skills={"tech": 1}), policy=skilled).agent_ids == (2,)


def test_an_agent_moved_to_another_team_leaves_the_queue() -> None:
    pool = AgentPool([agent(1, team_ids=frozenset({1})), agent(2, team_ids=frozenset({1}), load={CHAT: 4})], now=NOW)
    team_queue = policy(LeastLoad(), team_ids=frozenset({1}))
    assert pool.decide(item(), policy=team_queue).agent_ids == (1,)
    pool.update_agent(agent(1, team_ids=frozenset({2})))
    assert pool.decide(item(), policy=team_queue).agent_ids == (2,)
