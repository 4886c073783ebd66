"""Staffing simulation: one queue, Poisson arrivals, exponential handle times and patience, routed by the real engine.

Separate random streams for arrivals, handle times, patience and the engine (common random
numbers): two strategies run with the same seed see the same customers, so their figures differ
only by how agents were picked.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from routing.engine.erlang import ErlangCPrediction, predict
from routing.engine.model import AgentSnapshot, AgentStatus, Outcome, QueueState, WorkItem, WorkKind
from routing.engine.policy import LeastLoad, PolicyError, QueuePolicy, Selector
from routing.engine.pool import AgentPool

_START = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
_ARRIVAL, _DONE, _ABANDON = 0, 1, 2


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationConfig:
    agents: int
    arrivals_per_hour: float
    mean_handle_s: float
    hours: float
    seed: int
    strategy: Selector = field(default_factory=LeastLoad)
    patience_s: float | None = None  # mean patience; None: nobody hangs up
    warmup_fraction: float = 0.1  # arrivals in the first part of the run are not counted (the floor starts empty)
    service_level_s: float = 20.0

    def __post_init__(self) -> None:
        checks: list[tuple[str, bool, str]] = [
            ("agents", self.agents >= 1, "at least one agent"),
            ("arrivals_per_hour", self.arrivals_per_hour > 0, "must be positive"),
            ("mean_handle_s", self.mean_handle_s > 0, "must be positive"),
            ("hours", self.hours > 0, "must be positive"),
            ("patience_s", self.patience_s is None or self.patience_s > 0, "must be positive"),
            ("warmup_fraction", 0 <= self.warmup_fraction < 1, "must be in [0, 1)"),
        ]
        for name, ok, message in checks:
            if not ok:
                raise PolicyError("invalid_value", name, message)


@dataclass(frozen=True, slots=True)
class SimulationResult:
    arrivals: int  # counted (after warm-up)
    answered: int
    abandoned: int
    avg_wait_s: float  # over answered contacts
    p_wait: float  # share of arrivals that waited at all
    service_level: float  # share of arrivals answered within service_level_s
    abandon_rate: float
    occupancy: float  # agent busy time / agent time, after warm-up
    agent_occupancy_min: float
    agent_occupancy_max: float
    max_wait_s: float
    erlang_c: ErlangCPrediction | None
    config: SimulationConfig

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape ``contactcenter simulate --json`` prints."""
        level = f"service_level_{int(self.config.service_level_s)}s"
        prediction = self.erlang_c
        return {
            "agents": self.config.agents,
            "arrivals_per_hour": self.config.arrivals_per_hour,
            "mean_handle_s": self.config.mean_handle_s,
            "strategy": self.config.strategy.name.value,
            "hours": self.config.hours,
            "seed": self.config.seed,
            "patience_s": self.config.patience_s,
            "arrivals": self.arrivals,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "avg_wait_s": round(self.avg_wait_s, 3),
            "p_wait": round(self.p_wait, 4),
            level: round(self.service_level, 4),
            "abandon_rate": round(self.abandon_rate, 4),
            "occupancy": round(self.occupancy, 4),
            "agent_occupancy_min": round(self.agent_occupancy_min, 4),
            "agent_occupancy_max": round(self.agent_occupancy_max, 4),
            "max_wait_s": round(self.max_wait_s, 1),
            "erlang_c": None
            if prediction is None
            else {
                "traffic_erlangs": round(prediction.traffic_erlangs, 4),
                "p_wait": round(prediction.p_wait, 4),
                "avg_wait_s": round(prediction.avg_wait_s, 3),
                level: round(prediction.service_level, 4),
                "occupancy": round(prediction.occupancy, 4),
                "note": "M/M/c without abandonment"
                if self.config.patience_s is None
                else "M/M/c without abandonment; with patience the real queue waits less than this predicts",
            },
        }


def simulate(config: SimulationConfig) -> SimulationResult:
    """Run the queue for ``hours`` of arrivals, then let the calls still waiting finish."""
    arrival_rng = random.Random(f"{config.seed}:arrivals")
    handle_rng = random.Random(f"{config.seed}:handle")
    patience_rng = random.Random(f"{config.seed}:patience")
    engine_rng = random.Random(f"{config.seed}:engine")
    policy = QueuePolicy(strategy=config.strategy)
    snapshots = [AgentSnapshot(id=i, status=AgentStatus.ONLINE, capacity={WorkKind.CALL: 1}) for i in range(1, config.agents + 1)]
    pool = AgentPool(snapshots, now=_START)
    rate_per_s = config.arrivals_per_hour / 3600.0
    horizon = config.hours * 3600.0
    warmup = horizon * config.warmup_fraction

    events: list[tuple[float, int, int, int]] = []  # (time, sequence, type, item or agent id)
    sequence = 0

    def schedule(at: float, kind: int, subject: int) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(events, (at, sequence, kind, subject))

    waiting: dict[int, WorkItem] = {}  # insertion order is arrival order (one priority here)
    arrived_at: dict[int, float] = {}
    handle_s: dict[int, float] = {}
    busy_s = [0.0] * (config.agents + 1)
    waits: list[float] = []
    counted = answered = abandoned = waited = within_level = 0
    max_wait = 0.0

    def at(seconds: float) -> datetime:
        return _START + timedelta(seconds=seconds)

    def start_service(now: float, item: WorkItem, agent_id: int) -> None:
        nonlocal answered, waited, within_level, max_wait
        arrival = arrived_at.pop(item.id)
        service = handle_s.pop(item.id)
        wait = now - arrival
        if arrival >= warmup:
            answered += 1
            waits.append(wait)
            waited += wait > 0
            within_level += wait <= config.service_level_s
            max_wait = max(max_wait, wait)
        end = now + service
        busy_s[agent_id] += max(0.0, min(end, horizon) - max(now, warmup))  # busy time inside the counted window
        schedule(end, _DONE, agent_id)

    state = QueueState()

    def try_assign(now: float, item: WorkItem) -> bool:
        nonlocal state
        decision = pool.decide(item, policy=policy, state=state, rng=engine_rng)
        if decision.outcome is not Outcome.OFFER:
            return False
        state = decision.state
        pool.apply(decision)
        agent_id = decision.agent_ids[0]
        if len(decision.agent_ids) > 1:  # ring-all: whoever picks up first
            agent_id = decision.agent_ids[engine_rng.randrange(len(decision.agent_ids))]
            pool.settle(decision, accepted_by=agent_id)
        start_service(now, item, agent_id)
        return True

    handlers: dict[int, Callable[[float, int], None]] = {}

    def on_arrival(now: float, item_id: int) -> None:
        nonlocal counted
        if now >= warmup:
            counted += 1
        item = WorkItem(id=item_id, kind=WorkKind.CALL, queue_id=1, enqueued_at=at(now), customer_id=item_id)
        arrived_at[item_id] = now
        handle_s[item_id] = handle_rng.expovariate(1.0 / config.mean_handle_s)
        patience = patience_rng.expovariate(1.0 / config.patience_s) if config.patience_s else None
        if waiting or not try_assign(now, item):  # first come, first served: join the back of the queue
            waiting[item_id] = item
            if patience is not None:
                schedule(now + patience, _ABANDON, item_id)
        following = now + arrival_rng.expovariate(rate_per_s)
        if following < horizon:
            schedule(following, _ARRIVAL, item_id + 1)

    def on_done(now: float, agent_id: int) -> None:
        pool.release(agent_id, WorkKind.CALL, ended_at=at(now))
        for item_id, item in waiting.items():  # the oldest waiting call takes the freed agent
            if try_assign(now, item):
                del waiting[item_id]
            break

    def on_abandon(now: float, item_id: int) -> None:
        nonlocal abandoned
        if waiting.pop(item_id, None) is not None:
            handle_s.pop(item_id)
            if arrived_at.pop(item_id) >= warmup:
                abandoned += 1

    handlers.update({_ARRIVAL: on_arrival, _DONE: on_done, _ABANDON: on_abandon})
    schedule(arrival_rng.expovariate(rate_per_s), _ARRIVAL, 1)
    while events:
        now, _, kind, subject = heapq.heappop(events)
        pool.advance(at(now))
        handlers[kind](now, subject)

    window = max(horizon - warmup, 1e-9)
    agent_share = [busy_s[i] / window for i in range(1, config.agents + 1)]
    return SimulationResult(
        arrivals=counted,
        answered=answered,
        abandoned=abandoned,
        avg_wait_s=sum(waits) / len(waits) if waits else 0.0,
        p_wait=(waited + abandoned) / counted if counted else 0.0,  # an abandoning caller waited too
        service_level=within_level / counted if counted else 0.0,
        abandon_rate=abandoned / counted if counted else 0.0,
        occupancy=sum(agent_share) / config.agents,
        agent_occupancy_min=min(agent_share),
        agent_occupancy_max=max(agent_share),
        max_wait_s=max_wait,
        erlang_c=predict(
            agents=config.agents,
            arrivals_per_hour=config.arrivals_per_hour,
            mean_handle_s=config.mean_handle_s,
            service_level_s=config.service_level_s,
        ),
        config=config,
    )
