"""Every routing write: enqueue, the dispatch sweep, offers, cancel, overflow, manual take, transfer, finish, pause.

Lock order everywhere: queue entries, then queue states (by queue id), then agent routing states (by
agent id). The sweep claims entries with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL), so two
processes never decide the same entry; both then lock the candidate agents' rows in id order and read
loads only after that, so the second sees the first's offers and nobody goes past capacity. SQLite has
no row locks: its IMMEDIATE transactions (settings) serialise writers instead.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from contactcenter.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from contactcenter.core.staff.models import AgentProfile, AgentSkill
from contactcenter.core.staff.selectors import present_agents
from routing import events, handlers
from routing.engine import (
    DEFAULT_CAPACITY,
    AgentPool,
    AgentSnapshot,
    AgentStatus,
    LastService,
    Outcome,
    PolicyError,
    QueuePolicy,
    ReturningCustomer,
    Source,
    WorkItem,
    WorkKind,
    match_batch,
    route_source,
)
from routing.engine import QueueState as EngineQueueState
from routing.errors import AlreadyTaken, AtCapacity, NoQueue, NoSupervisor, OfferClosed
from routing.handlers import RoutingEvent
from routing.models import AgentRoutingState, Offer, Queue, QueueEntry, QueueState, SourceRule

logger = logging.getLogger(__name__)

Status = QueueEntry.Status
LIVE = (Status.WAITING, Status.OFFERED)


# -- enqueue -------------------------------------------------------------------------------------


def route_by_source(*, kind: str, source: dict[str, Any], language: str | None, priority: int = 0) -> tuple[Queue, int] | None:
    """The queue and priority the first matching active source rule gives (来源分配), or None."""
    rules = [rule.to_engine() for rule in SourceRule.objects.filter(is_active=True, kind=kind)]
    item = WorkItem(
        id=0, kind=WorkKind(kind), queue_id=0, enqueued_at=datetime.min, language=language, priority=priority, source=_source(source)
    )
    route = route_source(rules, item)
    if route is None:
        return None
    return Queue.objects.get(pk=route.queue_id), route.priority


def enqueue(
    *,
    kind: str,
    item_id: int,
    now: datetime,
    queue: Queue | None = None,
    priority: int = 0,
    required_skills: dict[str, int] | None = None,
    language: str | None = None,
    source: dict[str, Any] | None = None,
    customer_id: int | None = None,
    note: str = "",
) -> QueueEntry:
    """Put one work item in line. No queue given: the source rules choose it. An item already waiting is returned as is."""
    kind = WorkKind(kind).value
    source = dict(source or {})
    if queue is None:
        routed = route_by_source(kind=kind, source=source, language=language, priority=priority)
        if routed is None:
            raise NoQueue(_("No queue takes this work."))
        queue, priority = routed
    if queue.kind != kind:
        raise InvalidInput(_("This queue does not take this kind of work."))
    with transaction.atomic():
        existing = QueueEntry.objects.filter(kind=kind, item_id=item_id, status__in=LIVE).first()
        if existing is not None:
            return existing
        entry = QueueEntry(
            queue=queue,
            kind=kind,
            item_id=item_id,
            priority=priority,
            required_skills={**(queue.required_skills or {}), **(required_skills or {})},
            language=language,
            source=source,
            customer_id=customer_id,
            enqueued_at=now,
            note=note,
        )
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError:  # another process queued the same item a moment ago
            raced = QueueEntry.objects.filter(kind=kind, item_id=item_id, status__in=LIVE).first()
            if raced is None:
                raise
            return raced
        events.publish(events.queue_group(queue.pk), events.queue_changed_event(queue.pk))
        _positions_on_commit({queue.pk})
    return entry


# -- snapshots -----------------------------------------------------------------------------------


def _source(data: dict[str, Any]) -> Source:
    return Source(
        channel_id=data.get("channel_id"),
        page_url=str(data.get("page_url") or ""),
        first_message=str(data.get("first_message") or ""),
        customer_tags=frozenset(data.get("customer_tags") or ()),
    )


def to_item(entry: QueueEntry) -> WorkItem:
    return WorkItem(
        id=entry.pk,
        kind=WorkKind(entry.kind),
        queue_id=entry.queue_id,
        enqueued_at=entry.enqueued_at,
        required_skills=entry.required_skills or {},
        language=entry.language or None,
        priority=entry.priority,
        source=_source(entry.source or {}),
        customer_id=entry.customer_id,
        excluded_agent_ids=frozenset(entry.excluded_agent_ids or ()),
    )


def _day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def agent_loads(agent_ids: Collection[int]) -> dict[int, dict[str, int]]:
    """Live load per agent and kind: assigned, unfinished entries plus pending offers (an offer reserves capacity)."""
    loads: dict[int, dict[str, int]] = defaultdict(dict)
    assigned = (
        QueueEntry.objects.filter(assigned_agent_id__in=agent_ids, status=Status.ASSIGNED, finished_at__isnull=True)
        .values_list("assigned_agent_id", "kind")
        .annotate(n=Count("id"))
    )
    pending = (
        Offer.objects.filter(agent_id__in=agent_ids, status=Offer.Status.PENDING)
        .values_list("agent_id", "entry__kind")
        .annotate(n=Count("id"))
    )
    for agent_id, kind, n in [*assigned, *pending]:
        loads[agent_id][kind] = loads[agent_id].get(kind, 0) + n
    return loads


def capacity_of(agent: AgentProfile) -> dict[WorkKind, int]:
    return {**DEFAULT_CAPACITY, WorkKind.CHAT: agent.max_concurrent_chats}


def _snapshots(agents: Sequence[AgentProfile], states: dict[int, AgentRoutingState], now: datetime) -> list[AgentSnapshot]:
    ids = [agent.pk for agent in agents]
    teams: dict[int, set[int]] = defaultdict(set)
    for agent_id, team_id in AgentProfile.teams.through.objects.filter(agentprofile_id__in=ids).values_list("agentprofile_id", "team_id"):
        teams[agent_id].add(team_id)
    skills: dict[int, dict[str, int]] = defaultdict(dict)
    for agent_id, slug, level in AgentSkill.objects.filter(agent_id__in=ids).values_list("agent_id", "skill__slug", "level"):
        skills[agent_id][slug] = level
    loads = agent_loads(ids)
    today: dict[int, dict[str, int]] = defaultdict(dict)
    for agent_id, kind, n in (
        QueueEntry.objects.filter(assigned_agent_id__in=ids, assigned_at__gte=_day_start(now))
        .values_list("assigned_agent_id", "kind")
        .annotate(n=Count("id"))
    ):
        today[agent_id][kind] = n
    snapshots = []
    for agent in agents:
        state = states.get(agent.pk)
        snapshots.append(
            AgentSnapshot(
                id=agent.pk,
                status=AgentStatus(agent.status),
                pause_reason=(state.pause_reason or None) if state else None,
                team_ids=frozenset(teams[agent.pk]),
                skills=skills[agent.pk],
                languages=frozenset(_language_codes(agent.languages)),
                capacity=capacity_of(agent),
                load={WorkKind(k): v for k, v in loads[agent.pk].items()},
                today_count={WorkKind(k): v for k, v in today[agent.pk].items()},
                last_assigned_at=state.last_assigned_at if state else None,
                last_call_ended_at=state.last_call_ended_at if state else None,
                wrap_up_until=state.wrap_up_until if state else None,
                linear_position=state.linear_position if state else 0,
            )
        )
    return snapshots


def _language_codes(languages: Any) -> list[str]:
    """The agent's languages; none listed means every language the product speaks (settings.LANGUAGES),
    so that a newly set-up agent is not silently left out of every language-matching queue."""
    codes = [str(language) for language in languages or [] if isinstance(language, str)]
    return codes or [code for code, _name in settings.LANGUAGES]


def _ensure_agent_states(agent_ids: Iterable[int]) -> None:
    wanted = set(agent_ids)
    present = set(AgentRoutingState.objects.filter(agent_id__in=wanted).values_list("agent_id", flat=True))
    if missing := wanted - present:
        AgentRoutingState.objects.bulk_create([AgentRoutingState(agent_id=agent_id) for agent_id in sorted(missing)], ignore_conflicts=True)


def _lock_agent_states(agent_ids: Iterable[int]) -> dict[int, AgentRoutingState]:
    """Lock the agents' routing rows in id order (every writer does): no deadlocks, and loads read after this are current."""
    ids = sorted(set(agent_ids))
    _ensure_agent_states(ids)
    return {state.agent_id: state for state in AgentRoutingState.objects.select_for_update().filter(agent_id__in=ids).order_by("agent_id")}


def _history(entries: Sequence[QueueEntry], policies: dict[int, QueuePolicy], now: datetime) -> dict[int, LastService]:
    """Last agent per customer, for returning-customer queues only (熟客)."""
    days = [p.strategy.lookback_days for p in policies.values() if isinstance(p.strategy, ReturningCustomer)]
    customers = {
        e.customer_id for e in entries if e.customer_id is not None and isinstance(policies[e.queue_id].strategy, ReturningCustomer)
    }
    if not days or not customers:
        return {}
    history: dict[int, LastService] = {}
    rows = (
        QueueEntry.objects.filter(customer_id__in=customers, assigned_agent__isnull=False, assigned_at__gte=now - timedelta(days=max(days)))
        .order_by("customer_id", "-assigned_at")
        .values_list("customer_id", "assigned_agent_id", "assigned_at")
    )
    for customer_id, agent_id, served_at in rows:
        if customer_id is not None and agent_id is not None and served_at is not None:  # guaranteed by the filter
            history.setdefault(customer_id, LastService(agent_id, served_at))
    return history


# -- the sweep -----------------------------------------------------------------------------------


@dataclass
class DispatchResult:
    claimed: int = 0
    offered: list[int] = field(default_factory=list)  # entry ids
    assigned: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)


def dispatch(
    *, now: datetime, queue_ids: Collection[int] | None = None, limit: int = 200, rng: random.Random | None = None
) -> DispatchResult:
    """One sweep: claim waiting entries, one engine batch, persist offers/assignments and pointers, all in one transaction."""
    result = DispatchResult()
    with transaction.atomic(), events.batched():
        claim = QueueEntry.objects.filter(status=Status.WAITING)
        if queue_ids is not None:
            claim = claim.filter(queue_id__in=list(queue_ids))
        entries = list(claim.select_for_update(skip_locked=True).order_by("-priority", "enqueued_at", "id")[:limit])
        result.claimed = len(entries)
        if not entries:
            return result
        queues = {queue.pk: queue for queue in Queue.objects.filter(pk__in={e.queue_id for e in entries})}
        policies: dict[int, QueuePolicy] = {}
        for queue in queues.values():
            try:
                policies[queue.pk] = queue.policy()
            except PolicyError:
                logger.exception("queue %s has an invalid routing configuration; its entries stay queued", queue.pk)
        entries = [e for e in entries if e.queue_id in policies and queues[e.queue_id].is_active]
        if not entries:
            return result

        present = set(QueueState.objects.filter(queue_id__in=policies).values_list("queue_id", flat=True))
        if missing := set(policies) - present:
            QueueState.objects.bulk_create([QueueState(queue_id=qid) for qid in sorted(missing)], ignore_conflicts=True)
        pointers = {s.queue_id: s for s in QueueState.objects.select_for_update().filter(queue_id__in=policies).order_by("queue_id")}

        team_ids = {queues[qid].team_id for qid in policies}
        candidates = present_agents(now).exclude(status=AgentProfile.Status.OFFLINE)
        if None not in team_ids:
            candidates = candidates.filter(teams__id__in=team_ids).distinct()
        agent_ids = list(candidates.values_list("id", flat=True))
        states = _lock_agent_states(agent_ids)
        agents = list(AgentProfile.objects.filter(pk__in=agent_ids).order_by("id"))
        pool = AgentPool(_snapshots(agents, states, now), now=now)
        batch = match_batch(
            pool,
            [to_item(e) for e in entries],
            policies=policies,
            states={qid: EngineQueueState(last_agent_id=s.last_agent_id) for qid, s in pointers.items()},
            history=_history(entries, policies, now),
            rng=rng or random.Random(),
        )
        _persist(batch.decisions, {e.pk: e for e in entries}, queues, states, now, result)
        changed_pointers = [s for qid, s in pointers.items() if s.last_agent_id != batch.states[qid].last_agent_id]
        for pointer in changed_pointers:
            pointer.last_agent_id = batch.states[pointer.queue_id].last_agent_id
        if changed_pointers:
            QueueState.objects.bulk_update(changed_pointers, ["last_agent_id"])
        _positions_on_commit(set(policies))
    return result


def _persist(
    decisions: Sequence[Any],
    by_id: dict[int, QueueEntry],
    queues: dict[int, Queue],
    states: dict[int, AgentRoutingState],
    now: datetime,
    result: DispatchResult,
) -> None:
    changed: list[QueueEntry] = []
    offers: list[Offer] = []
    assigned_agents: list[AgentRoutingState] = []
    for decision in decisions:
        entry = by_id[decision.item_id]
        queue = queues[decision.queue_id]
        if decision.outcome is Outcome.OFFER:
            if queue.auto_accept and len(decision.agent_ids) == 1:
                entry.status = Status.ASSIGNED
                entry.assigned_agent_id = decision.agent_ids[0]
                entry.assigned_at = now
                states[decision.agent_ids[0]].last_assigned_at = now
                assigned_agents.append(states[decision.agent_ids[0]])
                result.assigned.append(entry.pk)
            else:
                entry.status = Status.OFFERED
                expires = now + timedelta(seconds=queue.offer_timeout_s) if queue.offer_timeout_s > 0 else None
                offers.extend(Offer(entry=entry, agent_id=agent_id, offered_at=now, expires_at=expires) for agent_id in decision.agent_ids)
                result.offered.append(entry.pk)
            entry.wait_until = None
            changed.append(entry)
        elif decision.outcome is Outcome.WAIT:
            result.waiting.append(entry.pk)
            if entry.wait_until != decision.wait_until:
                entry.wait_until = decision.wait_until
                changed.append(entry)
    # Everyone who could take it has declined or let it time out: start over at the next sweep rather
    # than leave it waiting for an overflow (ring-all re-rings everyone after its timeout this way).
    restart = [by_id[d.item_id] for d in decisions if d.outcome is Outcome.NONE_ELIGIBLE and by_id[d.item_id].excluded_agent_ids]
    for entry in restart:
        entry.excluded_agent_ids = []
    if restart:
        QueueEntry.objects.bulk_update(restart, ["excluded_agent_ids"])
    if changed:
        QueueEntry.objects.bulk_update(changed, ["status", "assigned_agent_id", "assigned_at", "wait_until"])
    if offers:
        Offer.objects.bulk_create(offers)
    if assigned_agents:
        AgentRoutingState.objects.bulk_update(assigned_agents, ["last_assigned_at"])
    offers_by_entry: dict[int, list[Offer]] = defaultdict(list)
    for offer in offers:
        offers_by_entry[offer.entry_id].append(offer)
    via = {d.item_id: d.via for d in decisions}
    for entry in changed:
        if entry.status == Status.ASSIGNED:
            _announce_assigned(entry, via=via[entry.pk], previous_offers=())
        elif entry.status == Status.OFFERED:
            entry_offers = offers_by_entry[entry.pk]
            for offer in entry_offers:
                events.publish(events.agent_group(offer.agent_id), events.offer_event(offer, entry))
            handlers.notify(RoutingEvent("offered", entry, agent_ids=tuple(o.agent_id for o in entry_offers), via=via[entry.pk]))


def _announce_assigned(entry: QueueEntry, *, via: str, previous_offers: Iterable[int]) -> None:
    assert entry.assigned_agent_id is not None
    events.publish(events.agent_group(entry.assigned_agent_id), events.assigned_event(entry, via=via))
    for agent_id in previous_offers:
        if agent_id != entry.assigned_agent_id:
            events.publish(events.agent_group(agent_id), events.withdrawn_event(entry, reason="taken"))
    events.publish(events.SUPERVISORS_GROUP, events.assigned_event(entry, via=via))
    handlers.notify(RoutingEvent("assigned", entry, agent_ids=(entry.assigned_agent_id,), via=via))


def _positions_on_commit(queue_ids: set[int]) -> None:
    """After commit, tell the owners of waiting work where each entry now stands (if any owner listens)."""
    if not any(handlers.wants(kind, "position_changed") for kind in WorkKind):
        return

    def push() -> None:
        from routing.selectors import queue_positions

        for queue_id in sorted(queue_ids):
            for position in queue_positions(queue_id=queue_id):
                handlers.notify(RoutingEvent("position_changed", position.entry, position=position.position, eta_s=position.eta_s))

    transaction.on_commit(push)


# -- offers --------------------------------------------------------------------------------------


def _lock_entry(entry_id: int) -> QueueEntry:
    try:
        return QueueEntry.objects.select_for_update().get(pk=entry_id)
    except QueueEntry.DoesNotExist:
        raise NotFound() from None


def _lock_offer(offer_id: int, agent: AgentProfile) -> tuple[QueueEntry, Offer]:
    entry_id = Offer.objects.filter(pk=offer_id, agent=agent).values_list("entry_id", flat=True).first()
    if entry_id is None:
        raise NotFound()
    entry = _lock_entry(entry_id)
    return entry, Offer.objects.get(pk=offer_id)


def accept_offer(*, offer_id: int, agent: AgentProfile, now: datetime) -> QueueEntry:
    """The agent takes the offered entry; the first accept of a ring-all wins, the other offers lapse."""
    with transaction.atomic():
        entry, offer = _lock_offer(offer_id, agent)
        if offer.status != Offer.Status.PENDING or entry.status != Status.OFFERED:
            raise OfferClosed(_("This offer is no longer open."))
        if offer.expires_at is not None and offer.expires_at <= now:
            raise OfferClosed(_("This offer has timed out."))
        state = _lock_agent_states([agent.pk])[agent.pk]
        others = list(entry.offers.filter(status=Offer.Status.PENDING).exclude(pk=offer.pk).values_list("agent_id", flat=True))
        entry.offers.filter(status=Offer.Status.PENDING).exclude(pk=offer.pk).update(status=Offer.Status.EXPIRED, answered_at=now)
        offer.status, offer.answered_at = Offer.Status.ACCEPTED, now
        offer.save(update_fields=["status", "answered_at"])
        entry.status, entry.assigned_agent, entry.assigned_at = Status.ASSIGNED, agent, now
        entry.save(update_fields=["status", "assigned_agent", "assigned_at"])
        state.last_assigned_at = now
        state.save(update_fields=["last_assigned_at"])
        _announce_assigned(entry, via="offer", previous_offers=others)
        _queue_changed(entry.queue_id)
    return entry


def decline_offer(*, offer_id: int, agent: AgentProfile, now: datetime) -> QueueEntry:
    """The agent says no: the entry moves on to someone else at the next sweep (this agent is excluded)."""
    with transaction.atomic():
        entry, offer = _lock_offer(offer_id, agent)
        if offer.status != Offer.Status.PENDING:
            raise OfferClosed(_("This offer is no longer open."))
        offer.status, offer.answered_at = Offer.Status.DECLINED, now
        offer.save(update_fields=["status", "answered_at"])
        _offers_lapsed(entry, [agent.pk])
    return entry


def _offers_lapsed(entry: QueueEntry, agent_ids: Sequence[int]) -> None:
    """Exclude these agents for this entry; back to waiting when no offer is left open."""
    entry.excluded_agent_ids = sorted({*(entry.excluded_agent_ids or []), *agent_ids})
    fields = ["excluded_agent_ids"]
    if entry.status == Status.OFFERED and not entry.offers.filter(status=Offer.Status.PENDING).exists():
        entry.status = Status.WAITING
        fields.append("status")
    entry.save(update_fields=fields)
    for agent_id in agent_ids:
        events.publish(events.agent_group(agent_id), events.withdrawn_event(entry, reason="lapsed"))
    _queue_changed(entry.queue_id)


def expire_offers(*, now: datetime) -> int:
    """Offers past their time lapse (the agent is excluded for that entry); returns how many expired."""
    with transaction.atomic():
        due = Offer.objects.filter(status=Offer.Status.PENDING, expires_at__lte=now)
        entry_ids = set(due.values_list("entry_id", flat=True))
        if not entry_ids:
            return 0
        entries = list(QueueEntry.objects.select_for_update(skip_locked=True).filter(pk__in=entry_ids).order_by("id"))
        expired = 0
        for entry in entries:
            lapsed = list(entry.offers.filter(status=Offer.Status.PENDING, expires_at__lte=now))
            if not lapsed:
                continue
            Offer.objects.filter(pk__in=[o.pk for o in lapsed]).update(status=Offer.Status.EXPIRED, answered_at=now)
            expired += len(lapsed)
            _offers_lapsed(entry, [o.agent_id for o in lapsed])
    return expired


# -- leaving the queue ---------------------------------------------------------------------------


def _close_offers(entry: QueueEntry, now: datetime, *, reason: str) -> None:
    agents = list(entry.offers.filter(status=Offer.Status.PENDING).values_list("agent_id", flat=True))
    if agents:
        entry.offers.filter(status=Offer.Status.PENDING).update(status=Offer.Status.EXPIRED, answered_at=now)
        for agent_id in agents:
            events.publish(events.agent_group(agent_id), events.withdrawn_event(entry, reason=reason))


def cancel_entry(*, kind: str, item_id: int, now: datetime, abandoned: bool = True) -> QueueEntry | None:
    """The customer left (abandoned, counted in reports) or the owner withdrew the item (cancelled)."""
    with transaction.atomic():
        entry = QueueEntry.objects.select_for_update().filter(kind=kind, item_id=item_id, status__in=LIVE).first()
        if entry is None:
            return None
        _close_offers(entry, now, reason="abandoned" if abandoned else "cancelled")
        entry.status = Status.ABANDONED if abandoned else Status.CANCELLED
        entry.ended_at = now
        entry.save(update_fields=["status", "ended_at"])
        if abandoned:
            handlers.notify(RoutingEvent("abandoned", entry))
        _queue_changed(entry.queue_id)
        _positions_on_commit({entry.queue_id})
    return entry


def overflow_due(*, now: datetime) -> list[QueueEntry]:
    """Entries past their queue's maximum wait overflow: to the overflow queue, or to the owner (ticket, voicemail)."""
    moved: list[QueueEntry] = []
    with transaction.atomic():
        candidates = QueueEntry.objects.filter(status__in=LIVE, queue__max_wait_s__isnull=False).select_related(
            "queue", "queue__overflow_queue"
        )
        due = [e.pk for e in candidates if e.queue.max_wait_s is not None and e.enqueued_at + timedelta(seconds=e.queue.max_wait_s) <= now]
        if not due:
            return moved
        for entry in (
            QueueEntry.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=due, status__in=LIVE)
            .select_related("queue", "queue__overflow_queue")
        ):
            _close_offers(entry, now, reason="overflowed")
            entry.status, entry.ended_at = Status.OVERFLOWED, now
            entry.save(update_fields=["status", "ended_at"])
            queue = entry.queue
            target = queue.overflow_queue if queue.overflow_action == Queue.OverflowAction.QUEUE else None
            if target is not None:
                QueueEntry.objects.create(
                    queue=target,
                    kind=entry.kind,
                    item_id=entry.item_id,
                    priority=entry.priority,
                    required_skills={**(target.required_skills or {}), **(entry.required_skills or {})},
                    language=entry.language,
                    source=entry.source,
                    customer_id=entry.customer_id,
                    enqueued_at=now,
                    note=entry.note,
                    transferred_from=entry,
                )
                _queue_changed(target.pk)
            handlers.notify(RoutingEvent("overflowed", entry, target=target))
            _queue_changed(queue.pk)
            moved.append(entry)
        _positions_on_commit({e.queue_id for e in moved} | {e.queue.overflow_queue_id for e in moved if e.queue.overflow_queue_id})
    return moved


# -- manual take, transfer, finish --------------------------------------------------------------


def _check_capacity(agent: AgentProfile, kind: str, *, reserved_for_this: bool) -> None:
    load = agent_loads([agent.pk]).get(agent.pk, {}).get(kind, 0) - (1 if reserved_for_this else 0)
    if load >= capacity_of(agent).get(WorkKind(kind), 0):
        raise AtCapacity(_("%(agent)s has no free capacity for this.") % {"agent": agent.display_name})


def take_from_pool(*, entry_id: int, agent: AgentProfile, now: datetime) -> QueueEntry:
    """抢单: an agent grabs a waiting (or offered) entry; the first grab wins, later ones get a conflict."""
    return _take(entry_id=entry_id, agent=agent, now=now, via="take", any_team=agent.is_supervisor)


def assign_entry(*, entry_id: int, agent: AgentProfile, by: AgentProfile, now: datetime) -> QueueEntry:
    """A supervisor hands a waiting (or offered) entry to a chosen agent of any team, within that agent's capacity."""
    if not by.is_supervisor:
        raise Forbidden()
    return _take(entry_id=entry_id, agent=agent, now=now, via="supervisor", any_team=True)


def _take(*, entry_id: int, agent: AgentProfile, now: datetime, via: str, any_team: bool) -> QueueEntry:
    with transaction.atomic():
        entry = _lock_entry(entry_id)
        if entry.status not in LIVE:
            raise AlreadyTaken(_("Someone else took this first."))
        _lock_agent_states([agent.pk])
        queue = entry.queue
        if queue.team_id is not None and not any_team and not agent.teams.filter(pk=queue.team_id).exists():
            raise Forbidden()
        own_offer = entry.offers.filter(status=Offer.Status.PENDING, agent=agent).first()
        _check_capacity(agent, entry.kind, reserved_for_this=own_offer is not None)
        others = list(entry.offers.filter(status=Offer.Status.PENDING).exclude(agent=agent).values_list("agent_id", flat=True))
        entry.offers.filter(status=Offer.Status.PENDING).exclude(agent=agent).update(status=Offer.Status.EXPIRED, answered_at=now)
        if own_offer is not None:
            own_offer.status, own_offer.answered_at = Offer.Status.ACCEPTED, now
            own_offer.save(update_fields=["status", "answered_at"])
        _assign(entry, agent, now)
        _announce_assigned(entry, via=via, previous_offers=others)
        _queue_changed(entry.queue_id)
        _positions_on_commit({entry.queue_id})
    return entry


def _assign(entry: QueueEntry, agent: AgentProfile, now: datetime) -> None:
    entry.status, entry.assigned_agent, entry.assigned_at = Status.ASSIGNED, agent, now
    entry.save(update_fields=["status", "assigned_agent", "assigned_at", "note"])
    AgentRoutingState.objects.filter(agent=agent).update(last_assigned_at=now)


def transfer(
    *,
    entry_id: int,
    by: AgentProfile,
    now: datetime,
    to_agent: AgentProfile | None = None,
    to_queue: Queue | None = None,
    to_supervisor: bool = False,
    note: str = "",
) -> QueueEntry:
    """Hand assigned work to another agent, back to a (team) queue, or to a supervisor, with a note the next agent sees.

    Returns the entry now carrying the work: the same one (agent, supervisor) or a new waiting one (queue).
    """
    if sum((to_agent is not None, to_queue is not None, to_supervisor)) != 1:
        raise InvalidInput(_("Transfer to exactly one agent, queue or supervisor."))
    with transaction.atomic():
        entry = _lock_entry(entry_id)
        if entry.status != Status.ASSIGNED or entry.finished_at is not None:
            raise Conflict(_("Only work in hand can be transferred."))
        if entry.assigned_agent_id != by.pk and not by.is_supervisor:
            raise Forbidden()
        previous = entry.assigned_agent_id
        if to_queue is not None:
            if to_queue.kind != entry.kind:
                raise InvalidInput(_("This queue does not take this kind of work."))
            entry.finished_at = now
            entry.save(update_fields=["finished_at"])
            moved = QueueEntry.objects.create(
                queue=to_queue,
                kind=entry.kind,
                item_id=entry.item_id,
                priority=entry.priority,
                required_skills={**(to_queue.required_skills or {}), **(entry.required_skills or {})},
                language=entry.language,
                source=entry.source,
                customer_id=entry.customer_id,
                enqueued_at=now,
                note=note,
                excluded_agent_ids=[previous] if previous is not None else [],
                transferred_from=entry,
            )
            _queue_changed(to_queue.pk)
            _positions_on_commit({to_queue.pk})
            return moved
        target = to_agent if to_agent is not None else _pick_supervisor(entry, exclude=previous)
        if target.pk == previous:
            raise InvalidInput(_("The work is already with this agent."))
        states = _lock_agent_states([target.pk] + ([previous] if previous is not None else []))
        del states
        _check_capacity(target, entry.kind, reserved_for_this=False)
        entry.note = note
        _assign(entry, target, now)
        if previous is not None:
            events.publish(events.agent_group(previous), events.withdrawn_event(entry, reason="transferred"))
        _announce_assigned(entry, via="supervisor" if to_supervisor else "transfer", previous_offers=())
    return entry


def _pick_supervisor(entry: QueueEntry, *, exclude: int | None) -> AgentProfile:
    supervisors = AgentProfile.objects.filter(
        role__in=[AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN], status=AgentProfile.Status.ONLINE
    )
    if exclude is not None:
        supervisors = supervisors.exclude(pk=exclude)
    if entry.queue.team_id is not None:
        team_supervisors = supervisors.filter(teams__id=entry.queue.team_id)
        if team_supervisors.exists():
            supervisors = team_supervisors
    candidates = list(supervisors.order_by("id"))
    loads = agent_loads([s.pk for s in candidates])
    free = [s for s in candidates if loads.get(s.pk, {}).get(entry.kind, 0) < capacity_of(s).get(WorkKind(entry.kind), 0)]
    if not free:
        raise NoSupervisor(_("No supervisor is free to take this."))
    return min(free, key=lambda s: (loads.get(s.pk, {}).get(entry.kind, 0), s.pk))


def finish(*, kind: str, item_id: int, now: datetime) -> QueueEntry | None:
    """The owner says the work ended: the agent's load drops and the queue's wrap-up time starts."""
    with transaction.atomic():
        entry = (
            QueueEntry.objects.select_for_update()
            .filter(kind=kind, item_id=item_id, status=Status.ASSIGNED, finished_at__isnull=True)
            .order_by("-id")
            .first()
        )
        if entry is None:
            return None
        entry.finished_at = now
        entry.save(update_fields=["finished_at"])
        if entry.assigned_agent_id is not None:
            state = _lock_agent_states([entry.assigned_agent_id])[entry.assigned_agent_id]
            fields = []
            wrap_up_s = entry.queue.wrap_up_s
            if wrap_up_s > 0:
                state.wrap_up_until = now + timedelta(seconds=wrap_up_s)
                fields.append("wrap_up_until")
            if kind == WorkKind.CALL:
                state.last_call_ended_at = now
                fields.append("last_call_ended_at")
            if fields:
                state.save(update_fields=fields)
            if wrap_up_s > 0:
                _agent_state_changed(state, now)
        _queue_changed(entry.queue_id)
    return entry


def set_pause(*, agent: AgentProfile, reason: str, now: datetime) -> AgentRoutingState:
    """Pause (a reason such as lunch or training) or resume (empty reason) routing to an agent."""
    with transaction.atomic():
        state = _lock_agent_states([agent.pk])[agent.pk]
        state.pause_reason = reason.strip()[:64]
        state.save(update_fields=["pause_reason"])
        _agent_state_changed(state, now)
    return state


def _agent_state_changed(state: AgentRoutingState, now: datetime) -> None:
    """Tell the agent's consoles and the supervisors: paused (with the reason) or not, and wrap-up until when."""
    wrap_up = state.wrap_up_until if state.wrap_up_until is not None and state.wrap_up_until > now else None
    payload = {
        "type": events.AGENT_STATE_CHANGED,
        "agent_id": state.agent_id,
        "pause_reason": state.pause_reason,
        "wrap_up_until": wrap_up.isoformat() if wrap_up else None,
        "at": now.isoformat(),
    }
    events.publish(events.agent_group(state.agent_id), payload)
    events.publish(events.SUPERVISORS_GROUP, payload)


def sweep(*, now: datetime, limit: int = 200) -> DispatchResult:
    """The periodic pass: lapse timed-out offers, overflow long waits, then dispatch everything waiting."""
    expire_offers(now=now)
    overflow_due(now=now)
    return dispatch(now=now, limit=limit)


def _queue_changed(queue_id: int) -> None:
    events.publish(events.queue_group(queue_id), events.queue_changed_event(queue_id))
