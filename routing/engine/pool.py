"""AgentPool: agent snapshots indexed once, then many fast decisions with loads updated as offers are made.

Why indexes: a decision must not scan every agent. Items that share a requirement signature (kind,
teams, required skills, language, selector) share a *segment*: the agents who pass the static filters
for it, grouped by skill score into tiers, each tier holding the currently free members in a structure
suited to the selector (a sorted id list for round-robin/random/ring-all, a lazily repaired heap for
ordered selectors). Segments are built on first use and kept up to date as loads change.
"""

from __future__ import annotations

import bisect
import heapq
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from routing.engine.model import (
    AgentSnapshot,
    AgentStatus,
    Decision,
    LastService,
    Outcome,
    QueueState,
    WorkItem,
    WorkKind,
)
from routing.engine.policy import (
    FewestCalls,
    LeastLoad,
    Linear,
    LoadMeasure,
    LongestIdle,
    MostRecent,
    QueuePolicy,
    ReturningCustomer,
    RingAll,
    RoundRobin,
    Selector,
    SimpleSelector,
    SkillBased,
    TimeBasis,
)

_NEVER = float("-inf")
_EMPTY_STATE = QueueState()
_DAY_S = 86400.0

SkillsKey = tuple[tuple[str, int], ...]
Key = tuple[float | int, ...]


def _ts(moment: datetime | None) -> float:
    return _NEVER if moment is None else moment.timestamp()


class _Agent:
    """Mutable working copy of one snapshot; ``epoch`` invalidates heap entries when a key may have dropped."""

    __slots__ = (
        "avail",
        "cap",
        "epoch",
        "id",
        "indexes",
        "languages",
        "last_assigned",
        "last_call_ended",
        "linear",
        "load",
        "on_assign",
        "online",
        "scan_tiers",
        "skills",
        "snap",
        "status",
        "teams",
        "today",
        "volatile",
        "wrap_until",
    )

    def __init__(self, snap: AgentSnapshot, now_ts: float) -> None:
        self.id = snap.id
        self.snap = snap
        self.status = snap.status
        self.online = snap.status is AgentStatus.ONLINE and snap.pause_reason is None
        self.wrap_until = _ts(snap.wrap_up_until)
        self.avail = self.online and self.wrap_until <= now_ts
        self.load: dict[WorkKind, int] = dict(snap.load)
        self.cap: dict[WorkKind, int] = dict(snap.capacity)
        self.today: dict[WorkKind, int] = dict(snap.today_count)
        self.last_assigned = _ts(snap.last_assigned_at)
        self.last_call_ended = _ts(snap.last_call_ended_at)
        self.linear = snap.linear_position
        self.teams = snap.team_ids
        self.skills = snap.skills
        self.languages = snap.languages
        self.epoch = 0
        self.indexes: list[_Index] = []
        self.on_assign: list[_SortedIndex] = []  # the only indexes an assignment must touch
        self.volatile = 0  # heap indexes whose key drops on assignment: those need a full refresh
        self.scan_tiers: list[_ScanTier] = []  # skill tiers holding this agent (they look after themselves)

    def free(self, kind: WorkKind) -> bool:
        return self.avail and self.load.get(kind, 0) < self.cap.get(kind, 0)


class _SortedIndex:
    """Exactly the free members, in id order (round-robin, random, ring-all)."""

    __slots__ = ("ids", "kind")
    monotone = True

    def __init__(self, kind: WorkKind) -> None:
        self.kind = kind
        self.ids: list[int] = []

    def refresh(self, agent: _Agent) -> None:
        ids = self.ids
        i = bisect.bisect_left(ids, agent.id)
        present = i < len(ids) and ids[i] == agent.id
        if agent.free(self.kind):
            if not present:
                ids.insert(i, agent.id)
        elif present:
            del ids[i]

    def after_assign(self, agent: _Agent) -> None:
        if not agent.free(self.kind):
            ids = self.ids
            i = bisect.bisect_left(ids, agent.id)
            if i < len(ids) and ids[i] == agent.id:
                del ids[i]

    def forget(self, agent: _Agent) -> None:
        ids = self.ids
        i = bisect.bisect_left(ids, agent.id)
        if i < len(ids) and ids[i] == agent.id:
            del ids[i]

    def next_after(self, pointer: int | None, excluded: frozenset[int]) -> int | None:
        ids = self.ids
        n = len(ids)
        if not n:
            return None
        start = 0 if pointer is None else bisect.bisect_right(ids, pointer)
        for step in range(n):
            candidate = ids[(start + step) % n]
            if candidate not in excluded:
                return candidate
        return None

    def pick_random(self, rng: random.Random, excluded: frozenset[int]) -> int | None:
        ids = self.ids if not excluded else [i for i in self.ids if i not in excluded]
        return ids[rng.randrange(len(ids))] if ids else None

    def all_ids(self, excluded: frozenset[int]) -> tuple[int, ...]:
        return tuple(self.ids) if not excluded else tuple(i for i in self.ids if i not in excluded)


class _HeapIndex:
    """Free members ordered by a key, repaired lazily.

    Invariant: every free member has an entry with its current epoch whose key is <= its true key.
    A monotone key only grows on assignment, so assignment pushes nothing; a popped entry whose key
    is stale is re-pushed with the true key. Anything that may lower a key bumps the agent's epoch and
    pushes fresh entries (``refresh``); entries of an older epoch are dropped when they surface.
    """

    __slots__ = ("agents", "heap", "key", "kind", "monotone")

    def __init__(self, kind: WorkKind, key: Callable[[_Agent], Key], monotone: bool, agents: Mapping[int, _Agent]) -> None:
        self.kind = kind
        self.key = key
        self.monotone = monotone
        self.agents = agents
        self.heap: list[tuple[Key, int]] = []

    def refresh(self, agent: _Agent) -> None:
        if agent.free(self.kind):
            heapq.heappush(self.heap, (self.key(agent), agent.epoch))

    def after_assign(self, agent: _Agent) -> None:
        """Nothing to do: the key only grew (non-monotone indexes make the agent refresh instead)."""

    def forget(self, agent: _Agent) -> None:
        """Nothing to do: the caller bumped the agent's epoch, so its entries here are dead."""

    def best(self, excluded: frozenset[int]) -> _Agent | None:
        heap = self.heap
        agents = self.agents
        kind = self.kind
        key = self.key
        skipped: list[tuple[Key, int]] = []
        found: _Agent | None = None
        while heap:
            entry = heap[0]
            entry_key, epoch = entry
            agent = agents[entry_key[-1]]  # type: ignore[index]  # keys end with the agent id
            if epoch != agent.epoch or not agent.free(kind):
                heapq.heappop(heap)
                continue
            true_key = key(agent)
            if true_key != entry_key:
                heapq.heapreplace(heap, (true_key, epoch))
                continue
            if agent.id in excluded:
                skipped.append(heapq.heappop(heap))
                continue
            found = agent
            break
        for entry in skipped:
            heapq.heappush(heap, entry)
        return found

    def all_free(self, excluded: frozenset[int]) -> list[_Agent]:
        seen: dict[int, _Agent] = {}
        for entry_key, epoch in self.heap:
            agent = self.agents[entry_key[-1]]  # type: ignore[index]
            if epoch == agent.epoch and agent.free(self.kind) and agent.id not in excluded:
                seen[agent.id] = agent
        return sorted(seen.values(), key=self.key)


class _ScanTier:
    """Skill-based tier: its members split into ``ids`` (believed free) and ``dropped`` (found full), in no order.

    Skill-based items rarely share exact requirements, so these tiers serve every minimum-level
    variant of one skill set and check levels while scanning. Nothing is done per assignment or
    release: a scan moves full agents to ``dropped``, and re-admits dropped agents that became free
    only when something was freed in the pool since this tier's last scan (``pool.frees``).
    """

    __slots__ = ("agents", "dropped", "ids", "kind", "pool", "seen")

    def __init__(self, kind: WorkKind, pool: AgentPool) -> None:
        self.kind = kind
        self.pool = pool
        self.agents = pool._agents
        self.ids: list[int] = []
        self.dropped: list[int] = []
        self.seen = pool.frees

    def add(self, agent: _Agent) -> None:
        (self.ids if agent.free(self.kind) else self.dropped).append(agent.id)
        agent.scan_tiers.append(self)

    def forget(self, agent: _Agent) -> None:
        for members in (self.ids, self.dropped):
            if agent.id in members:
                members.remove(agent.id)

    def _readmit(self) -> None:
        if self.seen == self.pool.frees:
            return
        self.seen = self.pool.frees
        if not self.dropped:
            return
        agents = self.agents
        kind = self.kind
        still: list[int] = []
        for agent_id in self.dropped:
            (self.ids if agents[agent_id].free(kind) else still).append(agent_id)
        self.dropped = still

    def candidates(self, required: SkillsKey, excluded: frozenset[int]) -> list[_Agent]:
        """Free members meeting every minimum level, not excluded."""
        self._readmit()
        agents = self.agents
        kind = self.kind
        keep: list[int] = []
        found: list[_Agent] = []
        for agent_id in self.ids:
            agent = agents[agent_id]
            if not (agent.avail and agent.load.get(kind, 0) < agent.cap.get(kind, 0)):
                self.dropped.append(agent_id)
                continue
            keep.append(agent_id)
            if agent_id in excluded:
                continue
            skills = agent.skills
            for skill, level in required:
                if skills[skill] < level:
                    break
            else:
                found.append(agent)
        self.ids = keep
        return found

    def best(self, required: SkillsKey, excluded: frozenset[int], key: Callable[[_Agent], Key]) -> _Agent | None:
        """The candidate with the smallest ``key``, found in the same pass as the filtering (the hot path)."""
        self._readmit()
        agents = self.agents
        kind = self.kind
        dropped = self.dropped
        keep: list[int] = []
        best: _Agent | None = None
        best_key: Key = ()
        for agent_id in self.ids:
            agent = agents[agent_id]
            if not (agent.avail and agent.load.get(kind, 0) < agent.cap.get(kind, 0)):
                dropped.append(agent_id)
                continue
            keep.append(agent_id)
            if agent_id in excluded:
                continue
            skills = agent.skills
            for skill, level in required:
                if skills[skill] < level:
                    break
            else:
                candidate_key = key(agent)
                if best is None or candidate_key < best_key:
                    best, best_key = agent, candidate_key
        if len(keep) != len(self.ids):
            self.ids = keep
        return best


_Index = _SortedIndex | _HeapIndex


def _heap_key(selector: SimpleSelector, kind: WorkKind) -> tuple[Callable[[_Agent], Key], bool] | None:
    """The ordering key of a heap-backed selector for one kind, and whether assignment only raises it."""
    if isinstance(selector, LeastLoad):
        if selector.measure is LoadMeasure.CURRENT:
            return (lambda a: (a.load.get(kind, 0), a.last_assigned, a.id)), True
        return (lambda a: (a.today.get(kind, 0), a.last_assigned, a.id)), True
    if isinstance(selector, FewestCalls):
        return (lambda a: (a.today.get(kind, 0), a.last_call_ended, a.id)), True
    if isinstance(selector, LongestIdle):
        if selector.since is TimeBasis.LAST_CALL_ENDED:
            return (lambda a: (a.last_call_ended, a.id)), True
        return (lambda a: (a.last_assigned, a.id)), True
    if isinstance(selector, MostRecent):
        # "Most recent first" is a descending time; agents with no history (-inf) sort last.
        if selector.since is TimeBasis.LAST_CALL_ENDED:
            return (lambda a: (-a.last_call_ended, a.id)), True
        return (lambda a: (-a.last_assigned, a.id)), False  # assignment raises last_assigned: the key drops
    if isinstance(selector, Linear):
        return (lambda a: (a.linear, a.id)), True
    return None


def skills_key(required: Mapping[str, int]) -> SkillsKey:
    return tuple(sorted(required.items())) if required else ()


class _Segment:
    """The agents passing the static filters of one requirement signature.

    A plain segment holds one index over its members, for the queue's selector. A ``tiered``
    (skill-based) segment is keyed by the skill *set*, holds every agent who has all those skills,
    and groups them into scan tiers by total level, best first.
    """

    __slots__ = ("index", "kind", "language", "pool", "scores", "selector", "skills", "teams", "tiered", "tiers")

    def __init__(
        self,
        pool: AgentPool,
        *,
        kind: WorkKind,
        teams: frozenset[int],
        skills: SkillsKey,
        language: str | None,
        selector: SimpleSelector,
        tiered: bool,
    ) -> None:
        self.pool = pool
        self.kind = kind
        self.teams = teams
        self.skills = skills
        self.language = language
        self.selector = selector
        self.tiered = tiered
        self.scores: list[int] = []  # descending, tiered only
        self.tiers: list[_ScanTier] = []
        self.index: _SortedIndex | _HeapIndex | None = None if tiered else pool._new_index(selector, kind)
        members = pool._candidates(teams=teams, skills=skills, language=language)
        if tiered:
            by_score: dict[int, list[_Agent]] = {}
            for agent in members:
                held = agent.skills
                by_score.setdefault(sum(held[skill] for skill, _ in skills), []).append(agent)
            for score in sorted(by_score, reverse=True):
                tier = _ScanTier(kind, pool)
                for agent in by_score[score]:
                    tier.add(agent)
                self.scores.append(score)
                self.tiers.append(tier)
        else:
            for agent in members:
                self.add_member(agent)

    def matches(self, agent: _Agent) -> bool:
        if self.teams and self.teams.isdisjoint(agent.teams):
            return False
        if self.language is not None and self.language not in agent.languages:
            return False
        skills = agent.skills
        return all(skills.get(skill, 0) >= level for skill, level in self.skills)

    def add_member(self, agent: _Agent) -> None:
        index = self.index
        if index is None:
            held = agent.skills
            score = sum(held[skill] for skill, _ in self.skills)
            scores = self.scores
            i = 0
            while i < len(scores) and scores[i] > score:  # at most 5 x skills tiers: a scan is fine
                i += 1
            if i == len(scores) or scores[i] != score:
                scores.insert(i, score)
                self.tiers.insert(i, _ScanTier(self.kind, self.pool))
            self.tiers[i].add(agent)
            return
        index.refresh(agent)
        agent.indexes.append(index)
        if isinstance(index, _SortedIndex):
            agent.on_assign.append(index)
        elif not index.monotone:
            agent.volatile += 1


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Decisions in the order they were made (priority, then age) and the queue states to persist."""

    decisions: tuple[Decision, ...]
    states: Mapping[int, QueueState]


class AgentPool:
    """Agents indexed at ``now`` for many decisions; ``apply``/``release``/``update_agent``/``advance`` keep it current."""

    def __init__(self, agents: Iterable[AgentSnapshot], *, now: datetime) -> None:
        self.now = now
        self._now_ts = now.timestamp()
        self._agents: dict[int, _Agent] = {}
        self._by_team: dict[int, set[int]] = {}
        self._by_skill: dict[str, dict[int, int]] = {}
        self._by_language: dict[str, set[int]] = {}
        self._segments: dict[tuple[object, ...], _Segment] = {}
        self._wrap_ups: list[tuple[float, int]] = []
        self.frees = 0  # bumped whenever an agent may have become free: skill tiers re-admit on change
        for snap in agents:
            if snap.id in self._agents:
                raise ValueError(f"agent {snap.id} appears twice in the snapshots")
            self._insert(snap)

    # -- building -------------------------------------------------------------------------------

    def _insert(self, snap: AgentSnapshot) -> _Agent:
        agent = _Agent(snap, self._now_ts)
        self._agents[agent.id] = agent
        for team in agent.teams:
            self._by_team.setdefault(team, set()).add(agent.id)
        for skill, level in agent.skills.items():
            self._by_skill.setdefault(skill, {})[agent.id] = level
        for language in agent.languages:
            self._by_language.setdefault(language, set()).add(agent.id)
        if agent.online and agent.wrap_until > self._now_ts:
            heapq.heappush(self._wrap_ups, (agent.wrap_until, agent.id))
        return agent

    def _unindex(self, agent: _Agent) -> None:
        for team in agent.teams:
            self._by_team[team].discard(agent.id)
        for skill in agent.skills:
            self._by_skill[skill].pop(agent.id, None)
        for language in agent.languages:
            self._by_language[language].discard(agent.id)

    def _candidates(self, *, teams: frozenset[int], skills: SkillsKey, language: str | None) -> list[_Agent]:
        """Agents passing team, skill and language filters, found from the smallest index that applies."""
        pools: list[Iterable[int]] = []
        if teams:
            members: set[int] = set()
            for team in teams:
                members |= self._by_team.get(team, set())
            pools.append(members)
        for skill, level in skills:
            holders = self._by_skill.get(skill, {})
            pools.append([aid for aid, held in holders.items() if held >= level])
        if language is not None:
            pools.append(self._by_language.get(language, set()))
        ids: Iterable[int] = min(pools, key=len) if pools else self._agents.keys()  # type: ignore[arg-type]
        agents = self._agents
        result = []
        for aid in ids:
            agent = agents[aid]
            if teams and teams.isdisjoint(agent.teams):
                continue
            if language is not None and language not in agent.languages:
                continue
            held = agent.skills
            if all(held.get(skill, 0) >= level for skill, level in skills):
                result.append(agent)
        return result

    def _new_index(self, selector: SimpleSelector, kind: WorkKind) -> _SortedIndex | _HeapIndex:
        spec = _heap_key(selector, kind)
        if spec is None:
            return _SortedIndex(kind)
        key, monotone = spec
        return _HeapIndex(kind, key, monotone, self._agents)

    def _segment(self, item: WorkItem, policy: QueuePolicy, selector: SimpleSelector | SkillBased) -> _Segment:
        language = item.language if policy.match_language else None
        if isinstance(selector, SkillBased):
            inner: SimpleSelector = selector.tie_break
            # Keyed by the skill set only (level 1): minimum levels are checked while scanning the tiers.
            skills: SkillsKey = tuple((skill, 1) for skill in sorted(item.required_skills))
            tiered = True
        else:
            inner = selector
            skills = skills_key(item.required_skills)
            tiered = False
        signature = (item.kind, policy.team_ids, skills, language, inner, tiered)
        segment = self._segments.get(signature)
        if segment is None:
            segment = _Segment(self, kind=item.kind, teams=policy.team_ids, skills=skills, language=language, selector=inner, tiered=tiered)
            self._segments[signature] = segment
        return segment

    # -- reading --------------------------------------------------------------------------------

    @property
    def agent_ids(self) -> list[int]:
        return sorted(self._agents)

    def snapshot(self, agent_id: int) -> AgentSnapshot:
        return self._agents[agent_id].snap

    def load_of(self, agent_id: int, kind: WorkKind) -> int:
        return self._agents[agent_id].load.get(kind, 0)

    def today_of(self, agent_id: int, kind: WorkKind) -> int:
        return self._agents[agent_id].today.get(kind, 0)

    def is_available(self, agent_id: int, kind: WorkKind) -> bool:
        """Online, not paused, out of wrap-up and under capacity for ``kind``."""
        agent = self._agents.get(agent_id)
        return agent is not None and agent.free(kind)

    def eligible_ids(self, item: WorkItem, *, policy: QueuePolicy) -> tuple[int, ...]:
        """Every agent who could be offered ``item`` now, in id order (the pool of 抢单 candidates)."""
        selector = policy.strategy
        simple: SimpleSelector | SkillBased = selector.fallback if isinstance(selector, ReturningCustomer) else selector
        segment = self._segment(item, policy, simple)
        excluded = item.excluded_agent_ids
        index = segment.index
        if isinstance(index, _SortedIndex):
            return index.all_ids(excluded)
        if isinstance(index, _HeapIndex):
            return tuple(sorted(agent.id for agent in index.all_free(excluded)))
        required = skills_key(item.required_skills)
        return tuple(sorted(agent.id for tier in segment.tiers for agent in tier.candidates(required, excluded)))

    # -- deciding -------------------------------------------------------------------------------

    def decide(
        self,
        item: WorkItem,
        *,
        policy: QueuePolicy,
        state: QueueState = _EMPTY_STATE,
        history: Mapping[int, LastService] | None = None,
        rng: random.Random | None = None,
    ) -> Decision:
        """Pick agent(s) for ``item`` without changing loads; ``apply`` the decision to reserve them."""
        strategy = policy.strategy
        if isinstance(strategy, ReturningCustomer):
            return self._returning_customer(item, policy, strategy, state, history, rng)
        return self._select(item, policy, strategy, state, rng, strategy.name.value)

    def _select(
        self,
        item: WorkItem,
        policy: QueuePolicy,
        selector: SimpleSelector | SkillBased,
        state: QueueState,
        rng: random.Random | None,
        via: str,
    ) -> Decision:
        segment = self._segment(item, policy, selector)
        inner = segment.selector
        excluded = item.excluded_agent_ids
        index = segment.index
        chosen: tuple[int, ...] = ()
        if index is None:
            chosen, state = self._select_tiered(segment, item, state, rng)
        elif isinstance(index, _HeapIndex):
            best = index.best(excluded)
            if best is not None:
                chosen = (best.id,)
        elif isinstance(inner, RoundRobin):
            pick = index.next_after(state.last_agent_id, excluded)
            if pick is not None:
                chosen = (pick,)
                state = QueueState(last_agent_id=pick)
        elif isinstance(inner, RingAll):
            chosen = index.all_ids(excluded)
        else:
            if rng is None:
                raise ValueError("the random strategy needs an rng (random.Random) passed in")
            pick = index.pick_random(rng, excluded)
            if pick is not None:
                chosen = (pick,)
        if not chosen:
            return Decision(item.id, item.queue_id, item.kind, Outcome.NONE_ELIGIBLE, state, via=via)
        return Decision(item.id, item.queue_id, item.kind, Outcome.OFFER, state, chosen, via=via)

    def _select_tiered(
        self, segment: _Segment, item: WorkItem, state: QueueState, rng: random.Random | None
    ) -> tuple[tuple[int, ...], QueueState]:
        """Skill-based: the best-scoring tier with anyone eligible, then the tie-break among that tier."""
        required = skills_key(item.required_skills)
        excluded = item.excluded_agent_ids
        tie_break = segment.selector
        spec = _heap_key(tie_break, item.kind)
        for tier in segment.tiers:
            if spec is not None:
                best = tier.best(required, excluded, spec[0])
                if best is not None:
                    return (best.id,), state
                continue
            found = tier.candidates(required, excluded)
            if not found:
                continue
            if isinstance(tie_break, RoundRobin):
                pointer = state.last_agent_id  # the next id after it, wrapping round
                pick = min((pointer is not None and agent.id <= pointer, agent.id) for agent in found)[1]
                return (pick,), QueueState(last_agent_id=pick)
            ids = sorted(agent.id for agent in found)
            if isinstance(tie_break, RingAll):
                return tuple(ids), state
            if rng is None:
                raise ValueError("the random strategy needs an rng (random.Random) passed in")
            return (ids[rng.randrange(len(ids))],), state
        return (), state

    def _returning_customer(
        self,
        item: WorkItem,
        policy: QueuePolicy,
        strategy: ReturningCustomer,
        state: QueueState,
        history: Mapping[int, LastService] | None,
        rng: random.Random | None,
    ) -> Decision:
        last = history.get(item.customer_id) if history and item.customer_id is not None else None
        if last is not None and last.served_at.timestamp() >= self._now_ts - strategy.lookback_days * _DAY_S:
            agent = self._agents.get(last.agent_id)
            if agent is not None and agent.id not in item.excluded_agent_ids and self._static_ok(agent, item, policy):
                name = strategy.name.value
                if agent.free(item.kind):
                    return Decision(item.id, item.queue_id, item.kind, Outcome.OFFER, state, (agent.id,), via=name)
                deadline = item.enqueued_at + timedelta(seconds=strategy.wait_s)
                waitable = agent.status is AgentStatus.ONLINE or (
                    strategy.wait_when_away and agent.status in (AgentStatus.AWAY, AgentStatus.BUSY)
                )
                if waitable and self.now < deadline:
                    return Decision(item.id, item.queue_id, item.kind, Outcome.WAIT, state, wait_until=deadline, via=name)
        fallback = strategy.fallback
        return self._select(item, policy, fallback, state, rng, f"{fallback.name.value} (fallback)")

    @staticmethod
    def _static_ok(agent: _Agent, item: WorkItem, policy: QueuePolicy) -> bool:
        if policy.team_ids and policy.team_ids.isdisjoint(agent.teams):
            return False
        if policy.match_language and item.language is not None and item.language not in agent.languages:
            return False
        skills = agent.skills
        return all(skills.get(skill, 0) >= level for skill, level in item.required_skills.items())

    # -- changing -------------------------------------------------------------------------------

    def apply(self, decision: Decision) -> None:
        """Reserve capacity for an offer: load +1 per offered agent; a single offer also counts as assigned now."""
        if decision.outcome is not Outcome.OFFER:
            return
        kind = decision.kind
        single = len(decision.agent_ids) == 1
        if not single:
            # Ring-all: only the load grows (nobody is assigned yet); fix the id lists once, not per agent.
            touched = [self._agents[agent_id] for agent_id in decision.agent_ids]
            for agent in touched:
                agent.load[kind] = agent.load.get(kind, 0) + 1
            self._resync_sorted(touched)
            return
        now_ts = self._now_ts
        for agent_id in decision.agent_ids:
            agent = self._agents[agent_id]
            agent.load[kind] = agent.load.get(kind, 0) + 1
            refresh = False
            if single:
                agent.today[kind] = agent.today.get(kind, 0) + 1
                if now_ts > agent.last_assigned:  # never move backwards (clock skew between nodes)
                    agent.last_assigned = now_ts
                    refresh = agent.volatile > 0
            if refresh:
                self._refresh(agent)
            else:
                for index in agent.on_assign:
                    index.after_assign(agent)

    def settle(self, decision: Decision, *, accepted_by: int | None) -> None:
        """An offer was answered by ``accepted_by`` (or by nobody): the other agents' reservations lapse.

        A single-agent offer already counted as assigned in ``apply``; accepting it changes nothing here.
        """
        if decision.outcome is not Outcome.OFFER:
            return
        if len(decision.agent_ids) == 1:
            if accepted_by is None:
                self.release(decision.agent_ids[0], decision.kind)
            return
        lapsed = [self._agents[agent_id] for agent_id in decision.agent_ids if agent_id != accepted_by]
        for agent in lapsed:
            current = agent.load.get(decision.kind, 0)
            if current <= 0:
                raise ValueError(f"agent {agent.id} has no {decision.kind} to release")
            agent.load[decision.kind] = current - 1
            agent.epoch += 1
        self.frees += 1
        if accepted_by is not None:
            agent = self._agents[accepted_by]
            agent.today[decision.kind] = agent.today.get(decision.kind, 0) + 1
            if self._now_ts > agent.last_assigned:
                agent.last_assigned = self._now_ts
            self._refresh(agent)
        self._resync_sorted(lapsed)
        for agent in lapsed:
            for index in agent.indexes:
                if not isinstance(index, _SortedIndex):
                    index.refresh(agent)

    def _resync_sorted(self, agents: Sequence[_Agent]) -> None:
        """Bring every sorted index these agents belong to up to date in one pass per index."""
        if len(agents) < 16:
            for agent in agents:
                for index in agent.on_assign:
                    index.refresh(agent)
            return
        by_index: dict[int, tuple[_SortedIndex, list[_Agent]]] = {}
        for agent in agents:
            for index in agent.on_assign:
                by_index.setdefault(id(index), (index, []))[1].append(agent)
        for index, members in by_index.values():
            ids = set(index.ids)
            for agent in members:
                if agent.free(index.kind):
                    ids.add(agent.id)
                else:
                    ids.discard(agent.id)
            index.ids = sorted(ids)

    def release(self, agent_id: int, kind: WorkKind, *, ended_at: datetime | None = None) -> None:
        """One item of ``kind`` finished (or an offer lapsed): load -1; for calls ``ended_at`` is the call end."""
        kind = WorkKind(kind)
        agent = self._agents[agent_id]
        current = agent.load.get(kind, 0)
        if current <= 0:
            raise ValueError(f"agent {agent_id} has no {kind} to release")
        agent.load[kind] = current - 1
        self.frees += 1
        if ended_at is not None and kind is WorkKind.CALL:
            agent.last_call_ended = max(agent.last_call_ended, ended_at.timestamp())
        self._refresh(agent)

    def update_agent(self, snapshot: AgentSnapshot) -> None:
        """Replace an agent's snapshot (status, pause, teams, skills, capacity...) or add a new agent."""
        old = self._agents.get(snapshot.id)
        if old is not None:
            old.epoch += 1
            for index in old.indexes:
                index.forget(old)
            for tier in old.scan_tiers:
                tier.forget(old)
            self._unindex(old)
            epoch = old.epoch
        else:
            epoch = 0
        agent = self._insert(snapshot)
        agent.epoch = epoch
        self.frees += 1
        for segment in self._segments.values():
            if segment.matches(agent):
                segment.add_member(agent)
        # Heap indexes of segments the agent left still hold entries of the old epoch: dead.

    def advance(self, now: datetime) -> None:
        """Move the pool's clock forward; agents whose wrap-up ended become available."""
        now_ts = now.timestamp()
        if now_ts < self._now_ts:
            raise ValueError("the pool's clock cannot go backwards")
        self.now = now
        self._now_ts = now_ts
        wrap_ups = self._wrap_ups
        while wrap_ups and wrap_ups[0][0] <= now_ts:
            until, agent_id = heapq.heappop(wrap_ups)
            agent = self._agents.get(agent_id)
            if agent is not None and agent.wrap_until == until and agent.online and not agent.avail:
                agent.avail = True
                self.frees += 1
                self._refresh(agent)

    def start_wrap_up(self, agent_id: int, *, until: datetime) -> None:
        """Hold an agent out of routing until ``until`` (after a chat or call); a past ``until`` ends wrap-up."""
        agent = self._agents[agent_id]
        agent.wrap_until = until.timestamp()
        agent.avail = agent.online and agent.wrap_until <= self._now_ts
        if agent.wrap_until > self._now_ts:
            heapq.heappush(self._wrap_ups, (agent.wrap_until, agent.id))
        else:
            self.frees += 1
        self._refresh(agent)

    def _refresh(self, agent: _Agent) -> None:
        agent.epoch += 1
        for index in agent.indexes:
            index.refresh(agent)


def match_batch(
    pool: AgentPool,
    items: Iterable[WorkItem],
    *,
    policies: Mapping[int, QueuePolicy],
    states: Mapping[int, QueueState] | None = None,
    history: Mapping[int, LastService] | None = None,
    rng: random.Random | None = None,
) -> BatchResult:
    """Decide every waiting item in one pass: highest priority first, then oldest; offers reserve capacity as they go."""
    ordered = sorted(items, key=lambda item: (-item.priority, item.enqueued_at, item.id))
    current: dict[int, QueueState] = dict(states or {})
    decisions: list[Decision] = []
    append = decisions.append
    decide = pool.decide
    apply = pool.apply
    for item in ordered:
        try:
            policy = policies[item.queue_id]
        except KeyError:
            raise ValueError(f"item {item.id} is in queue {item.queue_id}, which has no policy") from None
        decision = decide(item, policy=policy, state=current.get(item.queue_id, _EMPTY_STATE), history=history, rng=rng)
        if decision.outcome is Outcome.OFFER:
            apply(decision)
        current[item.queue_id] = decision.state
        append(decision)
    return BatchResult(decisions=tuple(decisions), states=current)


def decide(
    *,
    agents: Sequence[AgentSnapshot],
    item: WorkItem,
    policy: QueuePolicy,
    now: datetime,
    state: QueueState = _EMPTY_STATE,
    history: Mapping[int, LastService] | None = None,
    rng: random.Random | None = None,
) -> Decision:
    """One decision on fresh snapshots (the event-driven path: a new entry, or an agent just freed)."""
    return AgentPool(agents, now=now).decide(item, policy=policy, state=state, history=history, rng=rng)


__all__ = ["AgentPool", "BatchResult", "Selector", "decide", "match_batch", "skills_key"]
