"""Agents' reads: filters, sorting, paging in constant queries, full-text search in Chinese and English, similar tickets."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contactcenter.core.errors import InvalidInput, NotFound
from tests.factories import CustomerFactory
from tests.tickets.conftest import at
from tickets import selectors, services
from tickets.models import TicketType
from tickets.selectors import TicketFilters


def numbers(page: Any) -> list[str]:
    return [t.number for t in page.tickets]


def listing(actor: Any, **filters: Any) -> list[str]:
    sort = filters.pop("sort", "number")
    return numbers(selectors.ticket_list(actor=actor, now=at(10_000), filters=TicketFilters(**filters), sort=sort))


def _make_many(make_ticket: Any, alice: Any, count: int) -> None:
    for n in range(count):
        ticket = make_ticket(subject=f"Ticket {n}", tags=["bill", f"t{n}"], now=at(n))
        if n % 2:
            services.assign_ticket(ticket_id=ticket.pk, actor=alice, agent=alice, now=at(n))


@pytest.mark.parametrize("count", [3, 30])
def test_a_page_of_the_list_costs_three_queries_whatever_its_size(
    make_ticket: Any, alice: Any, django_assert_num_queries: Any, count: int
) -> None:
    _make_many(make_ticket, alice, count)
    with django_assert_num_queries(3):  # count, rows with their foreign keys, tags
        page = selectors.ticket_list(actor=alice, now=at(0), filters=TicketFilters(tag="bill"), page_size=50)
        for ticket in page.tickets:
            (ticket.stage.name, ticket.team.name, ticket.assignee, ticket.customer, ticket.type, [t.name for t in ticket.tags.all()])
    assert page.total == count


def test_the_list_query_count_is_the_same_for_3_and_30_tickets(make_ticket: Any, alice: Any) -> None:
    counts = []
    for count in (3, 27):
        _make_many(make_ticket, alice, count)
        with CaptureQueriesContext(connection) as captured:
            page = selectors.ticket_list(actor=alice, now=at(0), page_size=100)
            [list(t.tags.all()) for t in page.tickets]
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_filters_by_status_assignee_unassigned_priority_type_and_tag(make_ticket: Any, alice: Any, team: Any) -> None:
    kind = TicketType.objects.create(name="Complaint")
    a = make_ticket(priority="high", ticket_type=kind, tags=["vip"])
    b = make_ticket(assignee=alice)
    c = make_ticket()
    services.solve_ticket(ticket_id=c.pk, actor=alice, now=at(5))
    assert listing(alice, status=("open",)) == [a.number, b.number]
    assert listing(alice, assignee_ids=(alice.pk,)) == [b.number]
    assert listing(alice, unassigned=True) == [a.number, c.number]
    assert listing(alice, priority=("high",)) == [a.number]
    assert listing(alice, type_ids=(kind.pk,)) == [a.number]
    assert listing(alice, tag="VIP") == [a.number]
    assert listing(alice, stage_ids=(a.stage_id,)) == [a.number, b.number]
    assert listing(alice, team_ids=(team.pk,)) == [a.number, b.number, c.number]


def test_filters_by_customer_created_range_urged_and_overdue(make_ticket: Any, alice: Any, customer: Any) -> None:
    early = make_ticket(now=at(0), due_at=at(100))
    late = make_ticket(now=at(500), customer=CustomerFactory())
    services.urge_ticket(ticket_id=late.pk, actor=alice, now=at(600))
    assert listing(alice, customer_id=customer.pk) == [early.number]
    assert listing(alice, created_after=at(100)) == [late.number]
    assert listing(alice, created_before=at(100)) == [early.number]
    assert listing(alice, urged=True) == [late.number]
    assert listing(alice, overdue=True) == [early.number]


def test_merged_tickets_are_left_out_unless_asked_for(make_ticket: Any, alice: Any) -> None:
    a, b = make_ticket(), make_ticket()
    services.merge_tickets(ticket_ids=[b.pk], into_id=a.pk, actor=alice, now=at(1))
    assert listing(alice) == [a.number]
    assert listing(alice, include_merged=True) == [a.number, b.number]


def test_sorting_by_priority_puts_urgent_first(make_ticket: Any, alice: Any) -> None:
    low, urgent, normal = make_ticket(priority="low"), make_ticket(priority="urgent"), make_ticket()
    assert listing(alice, sort="-priority") == [urgent.number, normal.number, low.number]


def test_paging_splits_the_list_and_says_whether_more_follow(make_ticket: Any, alice: Any) -> None:
    made = [make_ticket(now=at(n)).number for n in range(5)]
    first = selectors.ticket_list(actor=alice, now=at(0), sort="created", page=1, page_size=2)
    last = selectors.ticket_list(actor=alice, now=at(0), sort="created", page=3, page_size=2)
    assert (numbers(first), first.has_next, first.total) == (made[:2], True, 5)
    assert (numbers(last), last.has_next) == (made[4:], False)


def test_an_unknown_sort_or_page_size_is_refused(alice: Any) -> None:
    with pytest.raises(InvalidInput):
        selectors.ticket_list(actor=alice, now=at(0), sort="colour")
    with pytest.raises(InvalidInput):
        selectors.ticket_list(actor=alice, now=at(0), page_size=1000)


def test_search_finds_chinese_in_the_subject_description_and_replies(make_ticket: Any, alice: Any) -> None:
    subject = make_ticket(subject="水表漏水")
    described = make_ticket(subject="Visit", description="用户反映水压太低")
    replied = make_ticket(subject="Bill")
    make_ticket(subject="Unrelated")
    services.reply(ticket_id=replied.pk, actor=alice, body="已为您办理退款", now=at(5))
    assert listing(alice, q="漏水") == [subject.number]
    assert listing(alice, q="水压") == [described.number]
    assert listing(alice, q="退款") == [replied.number]
    assert listing(alice, q="水") == [subject.number, described.number]


def test_search_finds_english_words_by_prefix_and_needs_every_word(make_ticket: Any, alice: Any) -> None:
    refund = make_ticket(subject="Refund for double payment")
    make_ticket(subject="Double meter")
    assert listing(alice, q="refund") == [refund.number]
    assert listing(alice, q="REFUNDS") == []
    assert listing(alice, q="doub pay") == [refund.number]


def test_search_by_ticket_number(make_ticket: Any, alice: Any) -> None:
    ticket = make_ticket()
    make_ticket()
    assert listing(alice, q=ticket.number.lower()) == [ticket.number]


def test_search_never_matches_internal_notes_of_hidden_tickets(make_ticket: Any, alice: Any, other_team: Any, supervisor: Any) -> None:
    hidden = make_ticket(team=other_team, subject="停水通知")
    assert listing(alice, q="停水") == []
    assert listing(supervisor, q="停水") == [hidden.number]


def test_similar_solved_tickets_overlap_the_subject_words(make_ticket: Any, alice: Any) -> None:
    best = make_ticket(subject="水费账单金额不对")
    near = make_ticket(subject="账单寄错地址")
    still_open = make_ticket(subject="水费账单问题")
    for ticket in (best, near):
        services.solve_ticket(ticket_id=ticket.pk, actor=alice, now=at(5))
    found = selectors.similar_solved_tickets(actor=alice, subject="水费账单不对")
    assert [t.number for t in found][:1] == [best.number]
    assert still_open.number not in [t.number for t in found]


def test_similar_tickets_for_a_customer_are_only_their_own(make_ticket: Any, alice: Any, customer: Any) -> None:
    other = make_ticket(subject="Refund request", customer=CustomerFactory())
    mine = make_ticket(subject="Refund please")
    for ticket in (other, mine):
        services.solve_ticket(ticket_id=ticket.pk, actor=alice, now=at(5))
    assert [t.pk for t in selectors.similar_solved_tickets(actor=customer, subject="refund")] == [mine.pk]


def test_the_timeline_is_the_whole_history_in_order(make_ticket: Any, alice: Any) -> None:
    ticket = make_ticket()
    services.add_note(ticket_id=ticket.pk, actor=alice, body="note", now=at(3))
    services.reply(ticket_id=ticket.pk, actor=alice, body="reply", now=at(2))
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(4), priority="low")
    assert [(e.kind, e.created_at) for e in selectors.ticket_timeline(actor=alice, ticket_id=ticket.pk)] == [
        ("system", at(0)),
        ("public_reply", at(2)),
        ("internal_note", at(3)),
        ("field_change", at(4)),
    ]


def test_the_timeline_and_detail_of_a_hidden_ticket_are_not_found(make_ticket: Any, outsider: Any) -> None:
    ticket = make_ticket()
    with pytest.raises(NotFound):
        selectors.ticket_timeline(actor=outsider, ticket_id=ticket.pk)
    with pytest.raises(NotFound):
        selectors.ticket_detail(actor=outsider, ticket_id=ticket.pk)


def test_links_show_only_tickets_the_agent_can_see(make_ticket: Any, alice: Any, supervisor: Any, other_team: Any) -> None:
    a, b, hidden = make_ticket(), make_ticket(), make_ticket(team=other_team)
    services.link_tickets(ticket_id=a.pk, other_id=b.pk, kind="related", actor=supervisor, now=at(1))
    services.link_tickets(ticket_id=a.pk, other_id=hidden.pk, kind="related", actor=supervisor, now=at(1))
    assert len(selectors.ticket_links(actor=supervisor, ticket_id=a.pk)) == 2
    assert [link.to_ticket_id for link in selectors.ticket_links(actor=alice, ticket_id=a.pk)] == [b.pk]


@pytest.mark.parametrize("replies", [2, 40])
def test_a_long_timeline_costs_the_same_queries_as_a_short_one(
    make_ticket: Any, alice: Any, django_assert_num_queries: Any, replies: int
) -> None:
    ticket = make_ticket()
    for n in range(replies):
        services.reply(ticket_id=ticket.pk, actor=alice, body=f"reply {n}", now=at(n + 1))
    with django_assert_num_queries(3):  # the ticket (access), the entries with authors, their attachments
        entries = selectors.ticket_timeline(actor=alice, ticket_id=ticket.pk)
        [(e.author_agent, e.author_customer, list(e.attachments.all())) for e in entries]
    assert len(entries) == replies + 1
