"""Owners of a kind register handlers; routing calls them without importing its callers (a fake kind here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from routing import handlers, services
from routing.handlers import RoutingEvent
from routing.models import Queue
from tests.routing.helpers import at, make_agent, make_queue

pytestmark = pytest.mark.django_db

KIND = "ticket"  # stands in for an owner that routing knows nothing about


@pytest.fixture
def seen() -> Iterator[list[RoutingEvent]]:
    events: list[RoutingEvent] = []
    record = events.append
    handlers.register(KIND, offered=record, assigned=record, overflowed=record, abandoned=record, position_changed=record)
    yield events
    handlers.unregister(KIND)


def names(events: list[RoutingEvent]) -> list[str]:
    return [event.name for event in events if event.name != "position_changed"]


def test_an_offer_and_its_acceptance_reach_the_owner(seen: list[RoutingEvent]) -> None:
    queue = make_queue(kind=KIND)
    agent = make_agent(team=queue.team)
    entry = services.enqueue(kind=KIND, item_id=5, queue=queue, now=at(0))
    services.dispatch(now=at(1))
    services.accept_offer(offer_id=entry.offers.get().pk, agent=agent, now=at(2))
    assert names(seen) == ["offered", "assigned"]
    assert seen[-1].entry.item_id == 5 and seen[-1].agent_ids == (agent.pk,)


def test_abandonment_and_overflow_reach_the_owner(seen: list[RoutingEvent]) -> None:
    backup = make_queue(kind=KIND)
    queue = make_queue(kind=KIND, max_wait_s=30, overflow_action=Queue.OverflowAction.QUEUE, overflow_queue=backup)
    services.enqueue(kind=KIND, item_id=1, queue=queue, now=at(0))
    services.enqueue(kind=KIND, item_id=2, queue=queue, now=at(0))
    services.cancel_entry(kind=KIND, item_id=1, now=at(10))
    services.overflow_due(now=at(31))
    assert names(seen) == ["abandoned", "overflowed"]
    assert seen[-1].target == backup


def test_waiting_entries_hear_their_position_after_commit(
    seen: list[RoutingEvent], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    queue = make_queue(kind=KIND)
    with django_capture_on_commit_callbacks(execute=True):
        services.enqueue(kind=KIND, item_id=1, queue=queue, now=at(0))
        services.enqueue(kind=KIND, item_id=2, queue=queue, now=at(1), priority=1)
    last = {event.entry.item_id: event.position for event in seen if event.name == "position_changed"}
    assert last == {2: 1, 1: 2}


def test_a_kind_without_handlers_is_routed_silently() -> None:
    queue = make_queue(kind="call")
    make_agent(team=queue.team)
    services.enqueue(kind="call", item_id=1, queue=queue, now=at(0))
    assert len(services.dispatch(now=at(1)).offered) == 1
