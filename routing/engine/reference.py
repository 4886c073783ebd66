"""The routing rules written as a straightforward scan over every agent: the oracle for tests and the benchmark's baseline.

It decides exactly what AgentPool decides (same filters, same orderings, same rng use) but with no
index: each decision looks at every agent. Keep the two in step; tests compare them on random input.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from routing.engine.model import AgentSnapshot, AgentStatus, Decision, LastService, Outcome, QueueState, WorkItem, WorkKind
from routing.engine.policy import (
    FewestCalls,
    LeastLoad,
    Linear,
    LoadMeasure,
    LongestIdle,
    MostRecent,
    QueuePolicy,
    RandomPick,
    ReturningCustomer,
    RingAll,
    RoundRobin,
    SimpleSelector,
    SkillBased,
    TimeBasis,
)

_NEVER = float("-inf")


def _ts(moment: datetime | None) -> float:
    return _NEVER if moment is None else moment.timestamp()


@dataclass(slots=True)
class NaiveAgent:
    snap: AgentSnapshot
    load: dict[WorkKind, int] = field(default_factory=dict)
    today: dict[WorkKind, int] = field(default_factory=dict)
    last_assigned: float = _NEVER
    last_call_ended: float = _NEVER


def naive_agents(snapshots: Iterable[AgentSnapshot]) -> list[NaiveAgent]:
    return [NaiveAgent(s, dict(s.load), dict(s.today_count), _ts(s.last_assigned_at), _ts(s.last_call_ended_at)) for s in snapshots]


def is_available(agent: NaiveAgent, kind: WorkKind, now: datetime) -> bool:
    snap = agent.snap
    if snap.status is not AgentStatus.ONLINE or snap.pause_reason is not None:
        return False
    if snap.wrap_up_until is not None and snap.wrap_up_until > now:
        return False
    return agent.load.get(kind, 0) < snap.capacity.get(kind, 0)


def passes_item_filters(agent: NaiveAgent, item: WorkItem, policy: QueuePolicy) -> bool:
    snap = agent.snap
    if policy.team_ids and not (policy.team_ids & snap.team_ids):
        return False
    if policy.match_language and item.language is not None and item.language not in snap.languages:
        return False
    for skill, level in item.required_skills.items():
        if snap.skills.get(skill, 0) < level:
            return False
    return snap.id not in item.excluded_agent_ids


def eligible(agents: Iterable[NaiveAgent], item: WorkItem, policy: QueuePolicy, now: datetime) -> list[NaiveAgent]:
    """Everyone who may be offered ``item`` now, in id order."""
    found = [a for a in agents if is_available(a, item.kind, now) and passes_item_filters(a, item, policy)]
    found.sort(key=lambda a: a.snap.id)
    return found


def _order_key(selector: SimpleSelector, kind: WorkKind, agent: NaiveAgent) -> tuple[float, ...]:
    if isinstance(selector, LeastLoad):
        count = agent.load.get(kind, 0) if selector.measure is LoadMeasure.CURRENT else agent.today.get(kind, 0)
        return (count, agent.last_assigned, agent.snap.id)
    if isinstance(selector, FewestCalls):
        return (agent.today.get(kind, 0), agent.last_call_ended, agent.snap.id)
    if isinstance(selector, LongestIdle):
        moment = agent.last_call_ended if selector.since is TimeBasis.LAST_CALL_ENDED else agent.last_assigned
        return (moment, agent.snap.id)
    if isinstance(selector, MostRecent):
        moment = agent.last_call_ended if selector.since is TimeBasis.LAST_CALL_ENDED else agent.last_assigned
        return (-moment, agent.snap.id)
    if isinstance(selector, Linear):
        return (agent.snap.linear_position, agent.snap.id)
    raise TypeError(f"{selector!r} has no order")


def _pick(
    selector: SimpleSelector, kind: WorkKind, candidates: list[NaiveAgent], state: QueueState, rng: random.Random | None
) -> tuple[tuple[int, ...], QueueState]:
    if not candidates:
        return (), state
    if isinstance(selector, RoundRobin):
        ids = [a.snap.id for a in candidates]
        after = [i for i in ids if state.last_agent_id is None or i > state.last_agent_id]
        pick = after[0] if after else ids[0]
        return (pick,), QueueState(last_agent_id=pick)
    if isinstance(selector, RingAll):
        return tuple(a.snap.id for a in candidates), state
    if isinstance(selector, RandomPick):
        if rng is None:
            raise ValueError("the random strategy needs an rng (random.Random) passed in")
        return (candidates[rng.randrange(len(candidates))].snap.id,), state
    best = min(candidates, key=lambda a: _order_key(selector, kind, a))
    return (best.snap.id,), state


def naive_decide(
    agents: list[NaiveAgent],
    item: WorkItem,
    *,
    policy: QueuePolicy,
    now: datetime,
    state: QueueState = QueueState(),  # noqa: B008  # frozen, safe to share
    history: Mapping[int, LastService] | None = None,
    rng: random.Random | None = None,
) -> Decision:
    strategy = policy.strategy
    selector = strategy
    via = strategy.name.value
    if isinstance(strategy, ReturningCustomer):
        last = history.get(item.customer_id) if history and item.customer_id is not None else None
        if last is not None and last.served_at >= now - timedelta(days=strategy.lookback_days):
            agent = next((a for a in agents if a.snap.id == last.agent_id), None)
            if agent is not None and passes_item_filters(agent, item, policy):
                if is_available(agent, item.kind, now):
                    return Decision(item.id, item.queue_id, item.kind, Outcome.OFFER, state, (agent.snap.id,), via=via)
                deadline = item.enqueued_at + timedelta(seconds=strategy.wait_s)
                status = agent.snap.status
                waitable = status is AgentStatus.ONLINE or (strategy.wait_when_away and status in (AgentStatus.AWAY, AgentStatus.BUSY))
                if waitable and now < deadline:
                    return Decision(item.id, item.queue_id, item.kind, Outcome.WAIT, state, wait_until=deadline, via=via)
        selector = strategy.fallback
        via = f"{selector.name.value} (fallback)"
    candidates = eligible(agents, item, policy, now)
    if isinstance(selector, SkillBased):
        if candidates:

            def score(a: NaiveAgent) -> int:
                return sum(a.snap.skills[s] for s in item.required_skills)

            top = max(score(a) for a in candidates)
            candidates = [a for a in candidates if score(a) == top]
        chosen, state = _pick(selector.tie_break, item.kind, candidates, state, rng)
    else:
        chosen, state = _pick(selector, item.kind, candidates, state, rng)  # type: ignore[arg-type]
    if not chosen:
        return Decision(item.id, item.queue_id, item.kind, Outcome.NONE_ELIGIBLE, state, via=via)
    return Decision(item.id, item.queue_id, item.kind, Outcome.OFFER, state, chosen, via=via)


def naive_apply(agents: list[NaiveAgent], decision: Decision, now: datetime) -> None:
    if decision.outcome is not Outcome.OFFER:
        return
    single = len(decision.agent_ids) == 1
    by_id = {a.snap.id: a for a in agents} if not single else None
    for agent_id in decision.agent_ids:
        agent = by_id[agent_id] if by_id else next(a for a in agents if a.snap.id == agent_id)
        agent.load[decision.kind] = agent.load.get(decision.kind, 0) + 1
        if single:
            agent.today[decision.kind] = agent.today.get(decision.kind, 0) + 1
            agent.last_assigned = max(agent.last_assigned, now.timestamp())


def naive_match_batch(
    agents: list[NaiveAgent],
    items: Iterable[WorkItem],
    *,
    policies: Mapping[int, QueuePolicy],
    now: datetime,
    states: Mapping[int, QueueState] | None = None,
    history: Mapping[int, LastService] | None = None,
    rng: random.Random | None = None,
) -> tuple[list[Decision], dict[int, QueueState]]:
    current = dict(states or {})
    decisions = []
    for item in sorted(items, key=lambda i: (-i.priority, i.enqueued_at, i.id)):
        decision = naive_decide(
            agents, item, policy=policies[item.queue_id], now=now, state=current.get(item.queue_id, QueueState()), history=history, rng=rng
        )
        naive_apply(agents, decision, now)
        current[item.queue_id] = decision.state
        decisions.append(decision)
    return decisions, current
