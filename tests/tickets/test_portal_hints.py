"""Hints while a subject is typed: public FAQ articles for everyone, a signed-in customer's own solved
tickets for them only; never another customer's ticket, never an internal article."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import ArticleFactory, CustomerFactory
from tests.tickets.conftest import at
from tests.tickets.portal_helpers import SECRET, own_cache, signed_in
from tickets import services
from tickets.access import SYSTEM


@pytest.fixture(autouse=True)
def _fresh(settings: Any, team: Any) -> Any:
    from bot import knowledge

    settings.CC_WEBFORM_TEAMS = [team.slug]
    settings.CC_BOT_INDEX_CHECK_S = 0
    knowledge.use_encoder(None)
    own_cache(settings)
    yield
    knowledge.use_encoder(None)


@pytest.fixture
def articles(db: Any, other_team: Any) -> Any:
    return {
        "meter": ArticleFactory(question="How do I read my water meter?", answer="<p>Lift the lid and read the black digits.</p>"),
        "refund": ArticleFactory(question="How do I get a refund?", answer="<p>Write to billing.</p>"),
        "internal": ArticleFactory(question=f"Water meter tricks {SECRET}", audience="internal"),
        "draft": ArticleFactory(question="Water meter draft", status="draft"),
        "elsewhere": ArticleFactory(question="Water meter of the repairs team", team=other_team),
    }


def _solved(make_ticket: Any, **fields: Any) -> Any:
    ticket = make_ticket(**fields)
    services.solve_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=at(1))
    return ticket


def test_a_subject_finds_public_faq_articles(client: Client, articles: Any, team: Any) -> None:
    data = client.get("/support/hints", {"q": "read water meter", "team": team.slug}).json()
    titles = [a["title"] for a in data["articles"]]
    assert titles and titles[0] == "How do I read my water meter?"
    assert data["articles"][0]["excerpt"] == "Lift the lid and read the black digits."
    assert data["articles"][0]["url"] == f"/portal/help/{articles['meter'].pk}/"
    assert not any(SECRET in t or "draft" in t or "repairs team" in t for t in titles)


def test_an_anonymous_visitor_gets_no_tickets_in_hints(client: Client, make_ticket: Any, articles: Any) -> None:
    _solved(make_ticket, subject="Water meter broken")
    data = client.get("/support/hints", {"q": "water meter broken"}).json()
    assert data["tickets"] == []


def test_a_signed_in_customer_gets_their_own_solved_tickets_and_nobody_elses(client: Client, make_ticket: Any, customer: Any) -> None:
    mine = _solved(make_ticket, subject="Water meter broken")
    _solved(make_ticket, subject="Water meter broken too", customer=CustomerFactory())
    make_ticket(subject="Water meter broken, still open")
    data = signed_in(client, customer).get("/support/hints", {"q": "water meter broken"}).json()
    assert [t["number"] for t in data["tickets"]] == [mine.number]
    assert data["tickets"][0]["url"] == f"/portal/tickets/{mine.number}/"


def test_a_ticket_found_by_words_of_its_internal_note_is_never_hinted(client: Client, make_ticket: Any, customer: Any, alice: Any) -> None:
    ticket = make_ticket(subject="Question")
    services.add_note(ticket_id=ticket.pk, actor=alice, body=SECRET, now=at(1))
    services.solve_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=at(2))
    response = signed_in(client, customer).get("/support/hints", {"q": SECRET})
    assert response.json() == {"articles": [], "tickets": []}


def test_one_character_asks_nothing(client: Client, articles: Any) -> None:
    assert client.get("/support/hints", {"q": "w"}).json() == {"articles": [], "tickets": []}


def test_the_hints_answer_is_private_and_not_sniffed(client: Client, db: Any) -> None:
    response = client.get("/support/hints", {"q": "meter"})
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "private, no-store" and response["X-Content-Type-Options"] == "nosniff"


def test_a_flood_of_hint_requests_is_refused(client: Client, db: Any) -> None:
    statuses = [client.get("/support/hints", {"q": "zz"}).status_code for _ in range(121)]
    assert statuses[-1] == 429 and statuses[0] == 200
