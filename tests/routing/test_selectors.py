"""Queue positions and estimated waits: serving order, and the estimate from recent handle times and agents."""

from __future__ import annotations

import pytest

from routing import services
from routing.models import Queue
from routing.selectors import DEFAULT_HANDLE_S, average_handle_s, queue_positions
from tests.routing.helpers import at, make_agent, make_queue

pytestmark = pytest.mark.django_db


def test_positions_follow_priority_then_age() -> None:
    queue = make_queue()
    for item_id, seconds, priority in [(1, 0, 0), (2, 1, 0), (3, 2, 5)]:
        services.enqueue(kind="chat", item_id=item_id, queue=queue, now=at(seconds), priority=priority)
    assert [(p.entry.item_id, p.position) for p in queue_positions(queue_id=queue.pk)] == [(3, 1), (1, 2), (2, 3)]


def test_the_estimate_uses_recent_handle_times_divided_among_serving_slots() -> None:
    queue = make_queue(auto_accept=True)
    agent = make_agent(team=queue.team, chats=2)
    services.enqueue(kind="chat", item_id=1, queue=queue, now=at(0))
    services.dispatch(now=at(0))
    services.finish(kind="chat", item_id=1, now=at(100))
    assert average_handle_s(queue_id=queue.pk) == 100
    services.set_pause(agent=agent, reason="", now=at(100))
    make_agent(team=queue.team, chats=2)
    for item_id in (2, 3, 4):
        services.enqueue(kind="chat", item_id=item_id, queue=queue, now=at(200 + item_id))
    assert [p.eta_s for p in queue_positions(queue_id=queue.pk)] == [25, 50, 75]  # 4 slots, 100 s each


def test_a_queue_without_history_assumes_the_default_handle_time() -> None:
    assert average_handle_s(queue_id=make_queue().pk) == DEFAULT_HANDLE_S


def test_business_hours_open_and_close_the_queue_in_their_time_zone() -> None:
    from contactcenter.core.staff.models import BusinessHours
    from routing.selectors import is_open

    hours = BusinessHours.objects.create(name="Shanghai office", timezone="Asia/Shanghai", weekly={"mon": [["09:00", "18:00"]]})
    queue = make_queue(business_hours=hours)
    # at(0) is Monday 09:00 UTC = 17:00 in Shanghai; an hour later it is 18:00 there.
    assert is_open(queue=queue, now=at(0))
    assert not is_open(queue=queue, now=at(3600))
    assert is_open(queue=make_queue(), now=at(3600))  # no hours: always open


def test_the_queues_an_agent_serves_are_the_active_ones_of_their_teams_and_those_without_a_team() -> None:
    from routing.selectors import queue_ids_served_by

    own = make_queue()
    agent = make_agent(team=own.team)
    anyone = Queue.objects.create(name="anyone", team=None)
    make_queue()  # another team's
    make_queue(team=own.team, kind="call")
    make_queue(team=own.team, is_active=False)
    assert queue_ids_served_by(agent_ids=[agent.pk], kind="chat") == [own.pk, anyone.pk]
    assert queue_ids_served_by(agent_ids=[], kind="chat") == []
