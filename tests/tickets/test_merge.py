"""Merging tickets into a survivor, and linking tickets."""

from __future__ import annotations

from typing import Any

import pytest

from contactcenter.core.errors import InvalidInput, NotFound
from routing import services as routing
from tests.factories import CustomerFactory
from tests.tickets.conftest import at
from tickets import services
from tickets.errors import MergeRefused
from tickets.models import Status, Ticket, TicketLink


def test_merge_moves_the_timeline_and_followers_and_closes_the_merged_ticket(make_ticket: Any, alice: Any, bob: Any) -> None:
    survivor, merged = make_ticket(now=at(0)), make_ticket(now=at(1), assignee=bob)
    services.reply(ticket_id=merged.pk, actor=alice, body="reply on the duplicate", now=at(2))
    services.update_ticket(ticket_id=merged.pk, actor=alice, now=at(3), followers=[bob])
    services.merge_tickets(ticket_ids=[merged.pk], into_id=survivor.pk, actor=alice, now=at(10))
    merged.refresh_from_db()
    assert merged.merged_into_id == survivor.pk and merged.status == Status.CLOSED and merged.closed_at == at(10)
    moved = survivor.timeline.get(body="reply on the duplicate")
    assert moved.original_ticket_id == merged.pk
    assert list(survivor.followers.values_list("pk", flat=True)) == [bob.pk]
    assert survivor.timeline.filter(event="merged_from").count() == 1
    assert list(merged.timeline.values_list("event", flat=True).filter(kind="system")) == ["merged_into"]
    assert routing.agent_loads([bob.pk]).get(bob.pk, {}).get("ticket", 0) == 0


def test_the_survivors_timeline_stays_in_time_order_after_a_merge(make_ticket: Any, alice: Any) -> None:
    survivor, merged = make_ticket(now=at(0)), make_ticket(now=at(1))
    services.reply(ticket_id=survivor.pk, actor=alice, body="third", now=at(30))
    services.reply(ticket_id=merged.pk, actor=alice, body="second", now=at(20))
    services.merge_tickets(ticket_ids=[merged.pk], into_id=survivor.pk, actor=alice, now=at(40))
    bodies = [e.body for e in services_timeline(survivor, alice) if e.kind == "public_reply"]
    assert bodies == ["second", "third"]


def services_timeline(ticket: Ticket, agent: Any) -> list[Any]:
    from tickets.selectors import ticket_timeline

    return ticket_timeline(actor=agent, ticket_id=ticket.pk)


def test_merging_into_itself_is_refused(make_ticket: Any, alice: Any) -> None:
    ticket = make_ticket()
    with pytest.raises(MergeRefused):
        services.merge_tickets(ticket_ids=[ticket.pk], into_id=ticket.pk, actor=alice, now=at(1))


def test_merging_into_a_merged_ticket_is_refused(make_ticket: Any, alice: Any) -> None:
    first, second, third = make_ticket(), make_ticket(), make_ticket()
    services.merge_tickets(ticket_ids=[second.pk], into_id=first.pk, actor=alice, now=at(1))
    with pytest.raises(MergeRefused):
        services.merge_tickets(ticket_ids=[third.pk], into_id=second.pk, actor=alice, now=at(2))
    with pytest.raises(MergeRefused):
        services.merge_tickets(ticket_ids=[second.pk], into_id=third.pk, actor=alice, now=at(2))


def test_tickets_of_different_customers_are_not_merged(make_ticket: Any, alice: Any) -> None:
    mine, theirs = make_ticket(), make_ticket(customer=CustomerFactory())
    with pytest.raises(MergeRefused):
        services.merge_tickets(ticket_ids=[theirs.pk], into_id=mine.pk, actor=alice, now=at(1))


def test_a_ticket_merged_earlier_into_a_merged_one_now_points_at_the_survivor(make_ticket: Any, alice: Any) -> None:
    a, b, c = make_ticket(), make_ticket(), make_ticket()
    services.merge_tickets(ticket_ids=[c.pk], into_id=b.pk, actor=alice, now=at(1))
    services.merge_tickets(ticket_ids=[b.pk], into_id=a.pk, actor=alice, now=at(2))
    assert Ticket.objects.get(pk=c.pk).merged_into_id == a.pk


def test_merging_a_ticket_one_cannot_see_reads_as_not_found(make_ticket: Any, alice: Any, other_team: Any) -> None:
    mine, hidden = make_ticket(), make_ticket(team=other_team)
    with pytest.raises(NotFound):
        services.merge_tickets(ticket_ids=[hidden.pk], into_id=mine.pk, actor=alice, now=at(1))


def test_a_link_is_written_to_both_timelines_and_linking_twice_returns_it(make_ticket: Any, alice: Any) -> None:
    a, b = make_ticket(), make_ticket()
    link = services.link_tickets(ticket_id=a.pk, other_id=b.pk, kind="parent", actor=alice, now=at(1))
    assert services.link_tickets(ticket_id=a.pk, other_id=b.pk, kind="parent", actor=alice, now=at(2)).pk == link.pk
    assert a.timeline.filter(event="linked").count() == 1 and b.timeline.filter(event="linked").count() == 1
    assert link.created_by_id == alice.pk


def test_related_links_are_one_row_whichever_side_asks(make_ticket: Any, alice: Any) -> None:
    a, b = make_ticket(), make_ticket()
    first = services.link_tickets(ticket_id=b.pk, other_id=a.pk, kind="related", actor=alice, now=at(1))
    second = services.link_tickets(ticket_id=a.pk, other_id=b.pk, kind="related", actor=alice, now=at(2))
    assert first.pk == second.pk and TicketLink.objects.count() == 1


def test_a_ticket_cannot_be_its_own_link_or_its_childs_child(make_ticket: Any, alice: Any) -> None:
    a, b = make_ticket(), make_ticket()
    with pytest.raises(InvalidInput):
        services.link_tickets(ticket_id=a.pk, other_id=a.pk, kind="related", actor=alice, now=at(1))
    services.link_tickets(ticket_id=a.pk, other_id=b.pk, kind="parent", actor=alice, now=at(1))
    with pytest.raises(InvalidInput):
        services.link_tickets(ticket_id=b.pk, other_id=a.pk, kind="parent", actor=alice, now=at(2))


def test_unlinking_removes_the_link_and_notes_it(make_ticket: Any, alice: Any) -> None:
    a, b = make_ticket(), make_ticket()
    link = services.link_tickets(ticket_id=a.pk, other_id=b.pk, kind="duplicate", actor=alice, now=at(1))
    services.unlink_tickets(link_id=link.pk, actor=alice, now=at(2))
    assert not TicketLink.objects.exists() and a.timeline.filter(event="unlinked").exists()
