"""The customer side never shows internal notes (nor their attachments), nor other customers' tickets:
every public function of tickets.selectors.customer is tried against a ticket full of notes."""

from __future__ import annotations

import contextlib
import inspect
from typing import Any

import pytest

from contactcenter.core.errors import NotFound
from tests.factories import CustomerFactory
from tests.tickets.conftest import at
from tickets import services
from tickets.access import SYSTEM
from tickets.selectors import customer as customer_selectors

SECRET = "INTERNAL-ONLY 内部备注"


@pytest.fixture
def noted(make_ticket: Any, alice: Any, customer: Any) -> Any:
    ticket = make_ticket(subject="Leaking meter")
    services.reply(ticket_id=ticket.pk, actor=alice, body="We will send someone.", now=at(1))
    services.add_note(
        ticket_id=ticket.pk,
        actor=alice,
        body=SECRET,
        now=at(2),
        attachments=[services.AttachmentUpload("secret.txt", SECRET.encode(), "text/plain")],
    )
    services.reply(
        ticket_id=ticket.pk,
        actor=customer,
        body="Thanks",
        now=at(3),
        attachments=[services.AttachmentUpload("photo.jpg", b"jpg", "image/jpeg")],
    )
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(4), priority="urgent", category=SECRET)
    return ticket


def _everything_a_customer_can_read(customer: Any, ticket: Any) -> list[Any]:
    """Call every public customer selector and gather what it returns."""
    from tickets.models import TicketAttachment

    results: list[Any] = []
    results += customer_selectors.customer_tickets(customer=customer)
    results += customer_selectors.customer_tickets(customer=customer, q="meter")
    results += customer_selectors.customer_ticket_page(customer=customer).tickets
    results += customer_selectors.customer_ticket_page(customer=customer, q="meter").tickets
    results += customer_selectors.customer_similar_solved_tickets(customer=customer, subject="Leaking meter")
    results.append(customer_selectors.customer_ticket(customer=customer, number=ticket.number))
    timeline = customer_selectors.customer_timeline(customer=customer, ticket_id=ticket.pk)
    results += timeline
    for entry in timeline:
        results += list(entry.attachments.all())
    for attachment in TicketAttachment.objects.filter(ticket=ticket):
        with contextlib.suppress(NotFound):
            results.append(customer_selectors.customer_attachment(customer=customer, attachment_id=attachment.pk))
    results += list(customer_selectors.public_attachments().filter(ticket=ticket))
    return results


def test_every_customer_selector_is_covered_here() -> None:
    public = {
        name
        for name, value in vars(customer_selectors).items()
        if inspect.isfunction(value) and value.__module__ == customer_selectors.__name__ and not name.startswith("_")
    }
    assert public == {
        "customer_tickets",
        "customer_ticket_page",
        "customer_similar_solved_tickets",
        "customer_ticket",
        "customer_timeline",
        "customer_attachment",
        "public_attachments",
    }


def test_no_customer_selector_returns_an_internal_note_or_its_attachment(noted: Any, customer: Any) -> None:
    results = _everything_a_customer_can_read(customer, noted)
    assert results, "the customer should see their ticket"
    for item in results:
        if hasattr(item, "kind"):
            assert item.kind == "public_reply"
        if hasattr(item, "filename"):
            assert item.filename == "photo.jpg"
        if hasattr(item, "body"):
            assert SECRET not in item.body


def test_the_customer_timeline_is_the_public_replies_in_order(noted: Any, customer: Any) -> None:
    timeline = customer_selectors.customer_timeline(customer=customer, ticket_id=noted.pk)
    assert [e.body for e in timeline] == ["We will send someone.", "Thanks"]
    assert [a.filename for a in timeline[1].attachments.all()] == ["photo.jpg"]


def test_searching_for_words_of_an_internal_note_finds_nothing_for_the_customer(noted: Any, customer: Any) -> None:
    assert customer_selectors.customer_tickets(customer=customer, q="INTERNAL-ONLY") == []
    assert customer_selectors.customer_tickets(customer=customer, q="内部备注") == []
    assert customer_selectors.customer_ticket_page(customer=customer, q="内部备注").tickets == []
    services.solve_ticket(ticket_id=noted.pk, actor=SYSTEM, now=at(5))
    assert customer_selectors.customer_similar_solved_tickets(customer=customer, subject="INTERNAL-ONLY 内部备注") == []


def test_similar_solved_tickets_for_a_customer_are_only_their_own(make_ticket: Any, customer: Any) -> None:
    mine = make_ticket(subject="Meter reading wrong")
    theirs = make_ticket(subject="Meter reading wrong again", customer=CustomerFactory())
    for ticket in (mine, theirs):
        services.solve_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=at(1))
    found = customer_selectors.customer_similar_solved_tickets(customer=customer, subject="meter reading")
    assert [t.pk for t in found] == [mine.pk]


def test_the_ticket_page_says_whether_another_page_follows(make_ticket: Any, customer: Any) -> None:
    for n in range(3):
        make_ticket(subject=f"Question {n}", now=at(n))
    first = customer_selectors.customer_ticket_page(customer=customer, page=1, page_size=2)
    second = customer_selectors.customer_ticket_page(customer=customer, page=2, page_size=2)
    assert [t.subject for t in first.tickets] == ["Question 2", "Question 1"] and first.has_next
    assert [t.subject for t in second.tickets] == ["Question 0"] and not second.has_next


def test_another_customer_reads_nothing_of_the_ticket(noted: Any) -> None:
    stranger = CustomerFactory()
    assert customer_selectors.customer_tickets(customer=stranger) == []
    with pytest.raises(NotFound):
        customer_selectors.customer_ticket(customer=stranger, number=noted.number)
    with pytest.raises(NotFound):
        customer_selectors.customer_timeline(customer=stranger, ticket_id=noted.pk)


def test_a_merged_ticket_reads_as_its_survivor_for_the_customer(make_ticket: Any, alice: Any, customer: Any) -> None:
    survivor, merged = make_ticket(), make_ticket()
    services.merge_tickets(ticket_ids=[merged.pk], into_id=survivor.pk, actor=alice, now=at(1))
    assert customer_selectors.customer_ticket(customer=customer, number=merged.number).pk == survivor.pk
