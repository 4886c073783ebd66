"""Who works a ticket: dispatch through routing, load, manual assignment, grab, redispatch, urge, follow-ups."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from contactcenter.core import periodic
from contactcenter.core.errors import Forbidden, NotFound
from routing import handlers
from routing import services as routing
from routing.errors import AtCapacity
from routing.models import Queue, QueueEntry
from tests.factories import AgentFactory
from tests.tickets.conftest import at
from tickets import services
from tickets.errors import AlreadyTaken, UrgedRecently
from tickets.models import FollowUp, Status, Ticket, Urge


def held(agent: Any) -> int:
    """The agent's ticket load as routing counts it."""
    return routing.agent_loads([agent.pk]).get(agent.pk, {}).get("ticket", 0)


def test_tickets_app_registers_its_routing_handlers_and_periodic_job() -> None:
    assert handlers.wants("ticket", "assigned") and handlers.wants("ticket", "overflowed")
    assert "tickets.follow_ups" in periodic.names()


def test_dispatch_makes_the_team_ticket_queue_on_first_use(make_ticket: Any, team: Any, alice: Any) -> None:
    make_ticket(dispatch=True)
    queue = Queue.objects.get(kind="ticket", team=team)
    assert queue.auto_accept and queue.strategy == "round_robin"


def test_dispatch_assigns_round_robin_across_the_team(make_ticket: Any, team: Any) -> None:
    agents = [AgentFactory(teams=[team]) for _ in range(3)]
    tickets = [make_ticket(dispatch=True, now=at(n)) for n in range(6)]
    assignees = [Ticket.objects.get(pk=t.pk).assignee_id for t in tickets]
    assert len(set(assignees[:3])) == 3 and assignees[3:] == assignees[:3]
    assert Counter(assignees) == {a.pk: 2 for a in agents}


def test_dispatch_with_least_load_picks_the_agent_holding_fewest_tickets(make_ticket: Any, team: Any, alice: Any, bob: Any) -> None:
    services.ticket_queue(team=team)
    Queue.objects.filter(kind="ticket", team=team).update(strategy="least_load")
    make_ticket(assignee=alice)
    make_ticket(assignee=alice)
    ticket = make_ticket(dispatch=True, now=at(5))
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == bob.pk


def test_a_dispatched_ticket_is_written_to_the_timeline_and_the_agent_is_told(make_ticket: Any, alice: Any, capture_events: Any) -> None:
    with capture_events() as sent:
        ticket = make_ticket(dispatch=True)
    entry = ticket.timeline.get(field="assignee")
    assert entry.new_value == {"id": alice.pk, "name": "Alice"} and entry.body == "routing:round_robin"
    assert (f"tickets.agent.{alice.pk}", "ticket.assigned") in [(g, e["type"]) for g, e in sent]


def test_without_a_free_agent_the_ticket_waits_and_the_sweep_assigns_it_later(make_ticket: Any, team: Any) -> None:
    late = AgentFactory(teams=[team], status="offline")
    ticket = make_ticket(dispatch=True)
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None
    assert QueueEntry.objects.filter(kind="ticket", item_id=ticket.pk, status="waiting").exists()
    type(late).objects.filter(pk=late.pk).update(status="online")
    routing.sweep(now=at(30))
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == late.pk


def test_every_held_ticket_counts_as_routing_load_until_it_is_solved(make_ticket: Any, alice: Any) -> None:
    first = make_ticket(assignee=alice)
    second = make_ticket(dispatch=True)
    assert Ticket.objects.get(pk=second.pk).assignee_id == alice.pk
    assert held(alice) == 2
    services.solve_ticket(ticket_id=first.pk, actor=alice, now=at(10))
    assert held(alice) == 1
    services.reopen_ticket(ticket_id=first.pk, actor=alice, now=at(20))
    assert held(alice) == 2


def test_reassigning_moves_the_load(make_ticket: Any, alice: Any, bob: Any) -> None:
    ticket = make_ticket(assignee=alice)
    services.assign_ticket(ticket_id=ticket.pk, actor=alice, agent=bob, now=at(5))
    assert (held(alice), held(bob)) == (0, 1)
    services.assign_ticket(ticket_id=ticket.pk, actor=bob, agent=None, now=at(6))
    assert held(bob) == 0 and Ticket.objects.get(pk=ticket.pk).assignee_id is None


def test_manual_assignment_ignores_capacity(make_ticket: Any, alice: Any, settings: Any) -> None:
    tickets = [make_ticket() for _ in range(3)]
    for ticket in tickets:
        services.assign_ticket(ticket_id=ticket.pk, actor=alice, agent=alice, now=at(1))
    assert held(alice) == 3


def test_an_agent_cannot_assign_to_someone_outside_the_team(make_ticket: Any, alice: Any, outsider: Any) -> None:
    ticket = make_ticket()
    with pytest.raises(Forbidden):
        services.assign_ticket(ticket_id=ticket.pk, actor=alice, agent=outsider, now=at(1))


def test_a_supervisor_may_assign_to_anyone(make_ticket: Any, supervisor: Any, outsider: Any) -> None:
    ticket = make_ticket()
    assert services.assign_ticket(ticket_id=ticket.pk, actor=supervisor, agent=outsider, now=at(1)).assignee_id == outsider.pk


def test_a_grab_takes_an_unassigned_ticket_and_a_second_grab_is_refused(make_ticket: Any, alice: Any, bob: Any) -> None:
    ticket = make_ticket()
    assert services.grab_ticket(ticket_id=ticket.pk, agent=alice, now=at(1)).assignee_id == alice.pk
    with pytest.raises(AlreadyTaken) as caught:
        services.grab_ticket(ticket_id=ticket.pk, agent=bob, now=at(2))
    assert caught.value.code == "already_taken"
    assert held(alice) == 1


def test_a_grab_of_a_queued_ticket_takes_it_out_of_the_queue(make_ticket: Any, team: Any, alice: Any) -> None:
    type(alice).objects.filter(pk=alice.pk).update(status="offline")
    ticket = make_ticket(dispatch=True)
    alice.refresh_from_db()
    services.grab_ticket(ticket_id=ticket.pk, agent=alice, now=at(1))
    statuses = sorted(QueueEntry.objects.filter(kind="ticket", item_id=ticket.pk).values_list("status", flat=True))
    assert statuses == ["assigned", "cancelled"]


def test_an_agent_of_another_team_cannot_even_see_the_ticket_to_grab(make_ticket: Any, outsider: Any) -> None:
    ticket = make_ticket()
    with pytest.raises(NotFound):
        services.grab_ticket(ticket_id=ticket.pk, agent=outsider, now=at(1))


def test_a_grab_beyond_the_ticket_capacity_is_refused(make_ticket: Any, alice: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(routing, "capacity_of", lambda agent: {routing.WorkKind.TICKET: 1})
    services.grab_ticket(ticket_id=make_ticket().pk, agent=alice, now=at(1))
    with pytest.raises(AtCapacity):
        services.grab_ticket(ticket_id=make_ticket().pk, agent=alice, now=at(2))


def test_redispatch_to_an_agent_records_the_reason_and_tells_both(make_ticket: Any, alice: Any, bob: Any, capture_events: Any) -> None:
    ticket = make_ticket(assignee=alice)
    with capture_events() as sent:
        services.redispatch_ticket(ticket_id=ticket.pk, actor=alice, reason="I am off tomorrow", now=at(5), to_agent=bob)
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == bob.pk
    assert ticket.timeline.get(event="redispatched").body == "I am off tomorrow"
    told = {g for g, e in sent if e["type"] == "ticket.redispatched"}
    assert {f"tickets.agent.{alice.pk}", f"tickets.agent.{bob.pk}"} <= told
    assert (held(alice), held(bob)) == (0, 1)


def test_redispatch_through_routing_leaves_the_previous_agent_out(make_ticket: Any, alice: Any, bob: Any) -> None:
    ticket = make_ticket(assignee=alice)
    services.redispatch_ticket(ticket_id=ticket.pk, actor=alice, reason="wrong skills", now=at(5))
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == bob.pk


def test_only_the_assignee_or_a_supervisor_redispatches(make_ticket: Any, alice: Any, bob: Any) -> None:
    ticket = make_ticket(assignee=alice)
    with pytest.raises(Forbidden):
        services.redispatch_ticket(ticket_id=ticket.pk, actor=bob, reason="mine now", now=at(5), to_agent=bob)


def test_an_urge_counts_writes_the_timeline_and_tells_the_assignee(
    make_ticket: Any, alice: Any, customer: Any, capture_events: Any
) -> None:
    ticket = make_ticket(assignee=alice)
    with capture_events() as sent:
        urged = services.urge_ticket(ticket_id=ticket.pk, actor=customer, now=at(5), note="快点")
    assert urged.urge_count == 1 and urged.last_urged_at == at(5)
    assert ticket.timeline.get(event="urged").author_customer_id == customer.pk
    assert (f"tickets.agent.{alice.pk}", "ticket.urged") in [(g, e["type"]) for g, e in sent]


def test_the_same_person_urging_again_within_ten_minutes_is_refused_but_a_colleague_may(
    make_ticket: Any, alice: Any, bob: Any, customer: Any
) -> None:
    ticket = make_ticket(assignee=alice)
    services.urge_ticket(ticket_id=ticket.pk, actor=customer, now=at(0))
    with pytest.raises(UrgedRecently) as caught:
        services.urge_ticket(ticket_id=ticket.pk, actor=customer, now=at(60))
    assert caught.value.code == "urged_recently" and caught.value.details["retry_after_s"] == 541
    services.urge_ticket(ticket_id=ticket.pk, actor=bob, now=at(61))
    services.urge_ticket(ticket_id=ticket.pk, actor=customer, now=at(601))
    assert Ticket.objects.get(pk=ticket.pk).urge_count == 3 and Urge.objects.count() == 3


def test_a_follow_up_fires_once_when_due_and_tells_the_agent(make_ticket: Any, alice: Any, capture_events: Any) -> None:
    ticket = make_ticket(assignee=alice)
    services.schedule_follow_up(ticket_id=ticket.pk, actor=alice, due_at=at(3600), now=at(0), note="call back")
    assert services.fire_due_follow_ups(at(3599)) == 0
    with capture_events() as sent:
        assert services.fire_due_follow_ups(at(3600)) == 1
    assert services.fire_due_follow_ups(at(3700)) == 0
    assert [e["note"] for g, e in sent if g == f"tickets.agent.{alice.pk}" and e["type"] == "ticket.follow_up_due"] == ["call back"]
    assert ticket.timeline.filter(event="follow_up_due").count() == 1
    assert FollowUp.objects.get().fired_at == at(3600)


def test_a_cancelled_follow_up_never_fires(make_ticket: Any, alice: Any) -> None:
    ticket = make_ticket(assignee=alice)
    follow_up = services.schedule_follow_up(ticket_id=ticket.pk, actor=alice, due_at=at(60), now=at(0))
    services.cancel_follow_up(follow_up_id=follow_up.pk, actor=alice, now=at(30))
    assert services.fire_due_follow_ups(at(120)) == 0


def test_a_ticket_solved_while_queued_gives_the_slot_back_when_routing_assigns_it(make_ticket: Any, team: Any, alice: Any) -> None:
    type(alice).objects.filter(pk=alice.pk).update(status="offline")
    ticket = make_ticket(dispatch=True)
    # Solving cancels the queued entry; routing never sees it again.
    services.solve_ticket(ticket_id=ticket.pk, actor=alice, now=at(5))
    assert not QueueEntry.objects.filter(kind="ticket", item_id=ticket.pk, status__in=["waiting", "offered"]).exists()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.SOLVED


def test_a_queued_ticket_that_overflows_stays_in_the_pool_with_a_note(make_ticket: Any, team: Any) -> None:
    AgentFactory(teams=[team], status="offline")
    queue = services.ticket_queue(team=team)
    Queue.objects.filter(pk=queue.pk).update(max_wait_s=60)
    ticket = make_ticket(dispatch=True)
    routing.overflow_due(now=ticket.created_at + timedelta(seconds=61))
    assert ticket.timeline.filter(event="routing_overflowed").exists()
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None
