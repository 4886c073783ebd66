"""Routing services on the database: enqueue, dispatch, offers, leaving the queue, take, transfer, finish."""

from __future__ import annotations

import random

import pytest

from contactcenter.core.errors import Forbidden
from contactcenter.core.staff.models import AgentProfile, Skill
from routing import services
from routing.errors import AlreadyTaken, AtCapacity, NoQueue, OfferClosed
from routing.models import AgentRoutingState, Offer, Queue, QueueEntry, QueueState, SourceRule
from tests.routing.helpers import T0, at, make_agent, make_queue

pytestmark = pytest.mark.django_db
Status = QueueEntry.Status


def enqueue(queue: Queue, item_id: int, *, seconds: float = 0, **fields: object) -> QueueEntry:
    return services.enqueue(kind=queue.kind, item_id=item_id, queue=queue, now=at(seconds), **fields)  # type: ignore[arg-type]


def pending_agents(entry: QueueEntry) -> set[int]:
    return set(entry.offers.filter(status=Offer.Status.PENDING).values_list("agent_id", flat=True))


def test_enqueue_puts_the_item_in_line_once() -> None:
    queue = make_queue()
    first = enqueue(queue, 7)
    again = enqueue(queue, 7, seconds=5)
    assert again.pk == first.pk
    assert first.status == Status.WAITING


def test_enqueue_without_a_queue_follows_the_first_matching_source_rule() -> None:
    general, vip = make_queue(), make_queue()
    SourceRule.objects.create(name="vip", position=1, queue=vip, priority=5, customer_tags=["VIP"])
    SourceRule.objects.create(name="all", position=2, queue=general)
    entry = services.enqueue(kind="chat", item_id=1, now=T0, source={"customer_tags": ["VIP"]})
    assert (entry.queue_id, entry.priority) == (vip.pk, 5)
    assert services.enqueue(kind="chat", item_id=2, now=T0).queue_id == general.pk


def test_enqueue_without_a_queue_or_matching_rule_is_refused() -> None:
    with pytest.raises(NoQueue):
        services.enqueue(kind="chat", item_id=1, now=T0)


def test_dispatch_offers_to_an_online_team_agent_with_the_queue_timeout() -> None:
    queue = make_queue(offer_timeout_s=20)
    agent = make_agent(team=queue.team)
    make_agent(team=queue.team, status="offline")
    entry = enqueue(queue, 1)
    result = services.dispatch(now=at(1))
    entry.refresh_from_db()
    assert result.offered == [entry.pk]
    assert entry.status == Status.OFFERED
    offer = entry.offers.get()
    assert (offer.agent_id, offer.expires_at) == (agent.pk, at(21))


def test_an_auto_accept_queue_assigns_at_once() -> None:
    queue = make_queue(auto_accept=True)
    agent = make_agent(team=queue.team)
    entry = enqueue(queue, 1)
    services.dispatch(now=at(1))
    entry.refresh_from_db()
    assert (entry.status, entry.assigned_agent_id, entry.assigned_at) == (Status.ASSIGNED, agent.pk, at(1))
    assert AgentRoutingState.objects.get(agent=agent).last_assigned_at == at(1)


def test_round_robin_alternates_and_keeps_its_pointer_between_sweeps() -> None:
    queue = make_queue(auto_accept=True)
    first, second = make_agent(team=queue.team), make_agent(team=queue.team)
    owners = []
    for n in range(4):
        entry = enqueue(queue, n, seconds=n)
        services.dispatch(now=at(n + 0.5))  # one entry per sweep: the pointer must survive between them
        entry.refresh_from_db()
        owners.append(entry.assigned_agent_id)
    assert owners == [first.pk, second.pk, first.pk, second.pk]
    assert QueueState.objects.get(queue=queue).last_agent_id == second.pk


def test_dispatch_never_offers_an_agent_past_capacity() -> None:
    queue = make_queue()
    agent = make_agent(team=queue.team, chats=2)
    for n in range(5):
        enqueue(queue, n, seconds=n)
    services.dispatch(now=at(10))
    assert Offer.objects.filter(agent=agent, status=Offer.Status.PENDING).count() == 2
    assert QueueEntry.objects.filter(status=Status.WAITING).count() == 3


def test_a_paused_agent_is_not_offered_work() -> None:
    queue = make_queue()
    agent = make_agent(team=queue.team)
    services.set_pause(agent=agent, reason="lunch", now=T0)
    enqueue(queue, 1)
    assert services.dispatch(now=at(1)).offered == []


def test_higher_priority_is_served_before_older_entries() -> None:
    queue = make_queue()
    make_agent(team=queue.team, chats=1)
    old = enqueue(queue, 1, seconds=0)
    urgent = enqueue(queue, 2, seconds=5, priority=3)
    services.dispatch(now=at(10))
    old.refresh_from_db()
    urgent.refresh_from_db()
    assert (urgent.status, old.status) == (Status.OFFERED, Status.WAITING)


def test_accepting_an_offer_assigns_the_entry_and_a_second_accept_conflicts() -> None:
    queue = make_queue()
    agent = make_agent(team=queue.team)
    entry = enqueue(queue, 1)
    services.dispatch(now=at(1))
    offer = entry.offers.get()
    services.accept_offer(offer_id=offer.pk, agent=agent, now=at(2))
    entry.refresh_from_db()
    assert (entry.status, entry.assigned_agent_id) == (Status.ASSIGNED, agent.pk)
    with pytest.raises(OfferClosed):
        services.accept_offer(offer_id=offer.pk, agent=agent, now=at(3))


def test_ring_all_offers_everyone_and_the_first_accept_wins() -> None:
    queue = make_queue(kind="call", strategy="ring_all")
    agents = [make_agent(team=queue.team) for _ in range(3)]
    entry = enqueue(queue, 1)
    services.dispatch(now=at(1))
    assert pending_agents(entry) == {a.pk for a in agents}
    offers = {o.agent_id: o for o in entry.offers.all()}
    services.accept_offer(offer_id=offers[agents[1].pk].pk, agent=agents[1], now=at(2))
    with pytest.raises(OfferClosed):
        services.accept_offer(offer_id=offers[agents[0].pk].pk, agent=agents[0], now=at(2))
    assert pending_agents(entry) == set()
    entry.refresh_from_db()
    assert entry.assigned_agent_id == agents[1].pk


def test_a_declined_offer_moves_on_to_another_agent() -> None:
    queue = make_queue()
    first, second = make_agent(team=queue.team), make_agent(team=queue.team)
    entry = enqueue(queue, 1)
    services.dispatch(now=at(1))
    offer = entry.offers.get()
    decliner = first if offer.agent_id == first.pk else second
    services.decline_offer(offer_id=offer.pk, agent=decliner, now=at(2))
    entry.refresh_from_db()
    assert entry.status == Status.WAITING and entry.excluded_agent_ids == [decliner.pk]
    services.dispatch(now=at(3))
    assert pending_agents(entry) == {({first.pk, second.pk} - {decliner.pk}).pop()}


def test_an_offer_that_times_out_lapses_and_excludes_its_agent() -> None:
    queue = make_queue(offer_timeout_s=10)
    agent = make_agent(team=queue.team)
    entry = enqueue(queue, 1)
    services.dispatch(now=at(1))
    assert services.expire_offers(now=at(5)) == 0
    assert services.expire_offers(now=at(11)) == 1
    entry.refresh_from_db()
    assert (entry.status, entry.excluded_agent_ids) == (Status.WAITING, [agent.pk])
    assert services.dispatch(now=at(12)).offered == []


def test_when_everyone_has_let_it_lapse_the_entry_starts_over() -> None:
    queue = make_queue(kind="call", strategy="ring_all", offer_timeout_s=10)
    agents = {make_agent(team=queue.team).pk for _ in range(2)}
    entry = enqueue(queue, 1)
    services.dispatch(now=at(1))
    services.expire_offers(now=at(11))
    assert services.dispatch(now=at(12)).offered == []  # nobody left who has not been rung: exclusions are cleared
    assert services.dispatch(now=at(13)).offered == [entry.pk]
    assert pending_agents(entry) == agents


def test_a_visitor_who_leaves_is_removed_and_counted_as_abandoned() -> None:
    queue = make_queue()
    agent = make_agent(team=queue.team)
    entry = enqueue(queue, 1)
    services.dispatch(now=at(1))
    services.cancel_entry(kind="chat", item_id=1, now=at(4))
    entry.refresh_from_db()
    assert (entry.status, entry.ended_at) == (Status.ABANDONED, at(4))
    assert not Offer.objects.filter(agent=agent, status=Offer.Status.PENDING).exists()
    from routing.selectors import abandoned_count

    assert abandoned_count(queue_id=queue.pk, since=T0) == 1


def test_an_entry_past_the_maximum_wait_overflows_to_the_other_queue() -> None:
    backup = make_queue()
    queue = make_queue(max_wait_s=60, overflow_action=Queue.OverflowAction.QUEUE, overflow_queue=backup)
    entry = enqueue(queue, 1, priority=2)
    assert services.overflow_due(now=at(59)) == []
    services.overflow_due(now=at(60))
    entry.refresh_from_db()
    assert entry.status == Status.OVERFLOWED
    moved = QueueEntry.objects.get(queue=backup)
    assert (moved.item_id, moved.status, moved.priority, moved.transferred_from_id) == (1, Status.WAITING, 2, entry.pk)


def test_a_manual_take_from_the_pool_wins_once() -> None:
    queue = make_queue()
    first, second = make_agent(team=queue.team), make_agent(team=queue.team)
    entry = enqueue(queue, 1)
    services.take_from_pool(entry_id=entry.pk, agent=first, now=at(1))
    with pytest.raises(AlreadyTaken):
        services.take_from_pool(entry_id=entry.pk, agent=second, now=at(1))
    entry.refresh_from_db()
    assert entry.assigned_agent_id == first.pk


def test_a_manual_take_respects_capacity_and_team() -> None:
    queue = make_queue()
    full = make_agent(team=queue.team, chats=1)
    services.take_from_pool(entry_id=enqueue(queue, 1).pk, agent=full, now=at(1))
    with pytest.raises(AtCapacity):
        services.take_from_pool(entry_id=enqueue(queue, 2).pk, agent=full, now=at(2))
    outsider = make_agent(team=make_queue().team)
    with pytest.raises(Forbidden):
        services.take_from_pool(entry_id=enqueue(queue, 3).pk, agent=outsider, now=at(3))


def test_a_supervisor_assigns_a_waiting_entry_to_an_agent_of_another_team() -> None:
    queue = make_queue()
    boss = make_agent(team=queue.team, role=AgentProfile.Role.SUPERVISOR)
    helper = make_agent(team=make_queue().team)
    entry = enqueue(queue, 1)
    services.assign_entry(entry_id=entry.pk, agent=helper, by=boss, now=at(1))
    entry.refresh_from_db()
    assert (entry.status, entry.assigned_agent_id) == (Status.ASSIGNED, helper.pk)


def test_only_a_supervisor_may_assign_an_entry() -> None:
    queue = make_queue()
    agent = make_agent(team=queue.team)
    with pytest.raises(Forbidden):
        services.assign_entry(entry_id=enqueue(queue, 1).pk, agent=agent, by=agent, now=at(1))


def test_transfer_to_an_agent_carries_the_note() -> None:
    queue = make_queue(auto_accept=True)
    first = make_agent(team=queue.team)
    entry = enqueue(queue, 1)
    services.dispatch(now=at(1))
    second = make_agent(team=queue.team)
    services.transfer(entry_id=entry.pk, by=first, to_agent=second, note="wants a refund", now=at(2))
    entry.refresh_from_db()
    assert (entry.assigned_agent_id, entry.note) == (second.pk, "wants a refund")


def test_transfer_to_a_queue_waits_there_without_the_previous_agent() -> None:
    queue = make_queue(auto_accept=True)
    agent = make_agent(team=queue.team)
    entry = enqueue(queue, 1)
    services.dispatch(now=at(1))
    billing = make_queue()
    moved = services.transfer(entry_id=entry.pk, by=agent, to_queue=billing, note="billing question", now=at(2))
    assert (moved.queue_id, moved.status, moved.note, moved.excluded_agent_ids) == (
        billing.pk,
        Status.WAITING,
        "billing question",
        [agent.pk],
    )
    entry.refresh_from_db()
    assert entry.finished_at == at(2)


def test_transfer_to_a_supervisor_picks_an_online_supervisor() -> None:
    queue = make_queue(auto_accept=True)
    agent = make_agent(team=queue.team)
    boss = make_agent(team=queue.team, role=AgentProfile.Role.SUPERVISOR)
    services.set_pause(agent=boss, reason="supervising", now=T0)  # paused for routing, still reachable by transfer
    entry = enqueue(queue, 1)
    services.dispatch(now=at(1))
    services.transfer(entry_id=entry.pk, by=agent, to_supervisor=True, note="angry customer", now=at(2))
    entry.refresh_from_db()
    assert entry.assigned_agent_id == boss.pk


def test_only_the_assigned_agent_or_a_supervisor_may_transfer() -> None:
    queue = make_queue(auto_accept=True)
    make_agent(team=queue.team)
    entry = enqueue(queue, 1)
    services.dispatch(now=at(1))
    bystander = make_agent(team=queue.team)
    with pytest.raises(Forbidden):
        services.transfer(entry_id=entry.pk, by=bystander, to_agent=bystander, now=at(2))


def test_finishing_frees_capacity_after_the_wrap_up_time() -> None:
    queue = make_queue(auto_accept=True, wrap_up_s=30)
    agent = make_agent(team=queue.team, chats=1)
    enqueue(queue, 1)
    services.dispatch(now=at(1))
    second = enqueue(queue, 2, seconds=2)
    assert services.dispatch(now=at(3)).assigned == []
    services.finish(kind="chat", item_id=1, now=at(10))
    assert services.dispatch(now=at(20)).assigned == []  # still wrapping up
    assert services.dispatch(now=at(41)).assigned == [second.pk]
    assert AgentRoutingState.objects.get(agent=agent).wrap_up_until == at(40)


def test_a_returning_customer_goes_back_to_the_agent_who_served_them() -> None:
    queue = make_queue(auto_accept=True, strategy="returning_customer")
    agents = [make_agent(team=queue.team) for _ in range(3)]
    enqueue(queue, 1, customer_id=99)
    services.dispatch(now=at(1))
    served_by = QueueEntry.objects.get(item_id=1).assigned_agent_id
    services.finish(kind="chat", item_id=1, now=at(60))
    for n, agent in enumerate(agents):  # everyone else is now less recently assigned, so only history explains the pick
        if agent.pk != served_by:
            enqueue(queue, 100 + n, seconds=61)
    services.dispatch(now=at(62))
    enqueue(queue, 2, seconds=70, customer_id=99)
    services.dispatch(now=at(71))
    assert QueueEntry.objects.get(item_id=2).assigned_agent_id == served_by


def test_skill_based_routing_picks_the_agent_with_the_skill() -> None:
    Skill.objects.create(name="Refunds", slug="refunds")
    queue = make_queue(auto_accept=True, strategy="skill_based", required_skills={"refunds": 3})
    make_agent(team=queue.team, skills={"refunds": 1})
    expert = make_agent(team=queue.team, skills={"refunds": 4})
    entry = enqueue(queue, 1)
    services.dispatch(now=at(1), rng=random.Random(1))
    entry.refresh_from_db()
    assert entry.assigned_agent_id == expert.pk


def test_an_agent_of_another_team_is_never_offered_the_queue() -> None:
    queue = make_queue()
    make_agent(team=make_queue().team)
    enqueue(queue, 1)
    assert services.dispatch(now=at(1)).offered == []


def test_a_sweep_costs_the_same_queries_for_few_or_many_entries() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(entries: int) -> int:
        queue = make_queue(auto_accept=True)
        for _ in range(3):
            make_agent(team=queue.team, chats=100)
        for n in range(entries):
            enqueue(queue, queue.pk * 1000 + n)
        with CaptureQueriesContext(connection) as captured:
            assert len(services.dispatch(now=at(1), queue_ids=[queue.pk]).assigned) == entries
        return len(captured.captured_queries)

    assert queries_for(3) == queries_for(60)
