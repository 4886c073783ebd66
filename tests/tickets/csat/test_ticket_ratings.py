"""Rating a solved ticket through its signed link: the public page, once, validated; automation hears low scores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from contactcenter.core.errors import InvalidInput
from contactcenter.core.staff.models import AgentProfile
from tests.tickets.csat.conftest import client_for
from tickets import services as ticket_services
from tickets.access import SYSTEM
from tickets.csat import services
from tickets.csat.errors import AlreadyRated, LinkExpired, LinkInvalid, NotRatable
from tickets.csat.models import Invitation, Rating
from tickets.models import Ticket, TimelineEntry

pytestmark = pytest.mark.django_db


def _url(ticket: Ticket) -> str:
    return services.rating_path(ticket_id=ticket.pk)


def test_the_rating_page_asks_for_a_score_without_signing_in_under_a_strict_csp(solved: Any) -> None:
    ticket = solved()
    response = Client().get(_url(ticket))
    assert response.status_code == 200
    assert b'data-state="ask"' in response.content and b'name="score"' in response.content
    assert "script-src 'none'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert b"<script" not in response.content


def test_a_customer_rates_a_solved_ticket_once_and_the_timeline_shows_it(solved: Any, alice: AgentProfile) -> None:
    ticket = solved()
    client = Client()
    response = client.post(_url(ticket), {"score": "4", "comment": "  快，谢谢  "})
    assert response.status_code == 200 and b'data-state="thanks"' in response.content
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment, rating.agent_id, rating.team_id, rating.source) == (
        4,
        "快，谢谢",
        alice.pk,
        ticket.team_id,
        "ticket",
    )
    entry = TimelineEntry.objects.get(ticket=ticket, event="csat_received")
    assert entry.new_value == {"score": 4, "rating_id": rating.pk} and entry.author_customer_id == ticket.customer_id
    again = client.post(_url(ticket), {"score": "1"})
    assert again.status_code == 200 and b'data-state="done"' in again.content  # shows the first answer, keeps it
    assert Rating.objects.get(ticket=ticket).score == 4


def test_a_second_answer_is_refused_by_the_service(solved: Any) -> None:
    ticket = solved()
    token = services.rating_token(ticket_id=ticket.pk)
    services.rate_ticket(token=token, score=5, comment="", now=timezone.now())
    with pytest.raises(AlreadyRated):
        services.rate_ticket(token=token, score=1, comment="changed my mind", now=timezone.now())
    assert Rating.objects.filter(ticket=ticket).count() == 1


def test_the_post_needs_the_csrf_token(solved: Any) -> None:
    ticket = solved()
    client = Client(enforce_csrf_checks=True)
    assert client.post(_url(ticket), {"score": "5"}).status_code == 403
    page = client.get(_url(ticket))
    token = page.cookies["csrftoken"].value
    assert client.post(_url(ticket), {"score": "5", "csrfmiddlewaretoken": token}).status_code == 200
    assert Rating.objects.filter(ticket=ticket, score=5).exists()


@pytest.mark.parametrize("score", ["0", "6", "", "x", "4.5", "-1", "44"])
def test_bad_scores_from_the_page_are_refused(solved: Any, score: str) -> None:
    ticket = solved()
    response = Client().post(_url(ticket), {"score": score})
    assert response.status_code == 400 and b'data-testid="error-score"' in response.content
    assert not Rating.objects.exists()


@pytest.mark.parametrize("score", [0, 6, True, "5", 4.0, None, [5]])
def test_bad_score_types_are_refused_by_the_service(solved: Any, score: Any) -> None:
    ticket = solved()
    with pytest.raises(InvalidInput):
        services.rate_ticket(token=services.rating_token(ticket_id=ticket.pk), score=score, comment="", now=timezone.now())


def test_an_oversized_comment_is_refused(solved: Any) -> None:
    ticket = solved()
    response = Client().post(_url(ticket), {"score": "3", "comment": "好" * 1001})
    assert response.status_code == 400 and b'data-testid="error-comment"' in response.content
    assert not Rating.objects.exists()
    assert Client().post(_url(ticket), {"score": "3", "comment": "好" * 1000}).status_code == 200


def test_a_forged_token_is_refused(solved: Any) -> None:
    ticket = solved()
    forged = signing.dumps({"t": ticket.pk}, salt="something else")
    assert Client().get(f"/csat/{forged}/").status_code == 404
    assert Client().post(f"/csat/{forged}/", {"score": "5"}).status_code == 404
    tampered = services.rating_token(ticket_id=ticket.pk)[:-2] + "xx"
    with pytest.raises(LinkInvalid):
        services.rate_ticket(token=tampered, score=5, comment="", now=timezone.now())
    assert not Rating.objects.exists()


def test_an_expired_token_is_refused(solved: Any) -> None:
    ticket = solved()
    with time_machine.travel(timezone.now() - timedelta(days=31), tick=False):
        token = services.rating_token(ticket_id=ticket.pk)
    response = Client().post(f"/csat/{token}/", {"score": "5"})
    assert response.status_code == 410 and b'data-state="expired"' in response.content
    with pytest.raises(LinkExpired):
        services.rate_ticket(token=token, score=5, comment="", now=timezone.now())
    assert not Rating.objects.exists()


def test_an_open_ticket_cannot_be_rated(make_ticket: Any) -> None:
    ticket = make_ticket()
    with pytest.raises(NotRatable):
        services.rate_ticket(token=services.rating_token(ticket_id=ticket.pk), score=5, comment="", now=timezone.now())
    assert Client().get(_url(ticket)).status_code == 409


def test_a_low_ticket_score_fires_the_automation_rule(solved: Any, make_rule: Any, django_capture_on_commit_callbacks: Any) -> None:
    make_rule(
        "Unhappy customer → urgent",
        events=["csat_received"],
        conditions={"all": [{"field": "csat_score", "op": "lte", "value": 2}]},
        actions=[{"type": "set_priority", "value": "urgent"}, {"type": "add_tags", "value": ["unhappy"]}],
    )
    low, high = solved(), solved()
    with django_capture_on_commit_callbacks(execute=True):
        services.rate_ticket(token=services.rating_token(ticket_id=low.pk), score=1, comment="太慢", now=timezone.now())
        services.rate_ticket(token=services.rating_token(ticket_id=high.pk), score=5, comment="", now=timezone.now())
    low.refresh_from_db()
    high.refresh_from_db()
    assert low.priority == "urgent" and list(low.tags.values_list("name", flat=True)) == ["unhappy"]
    assert high.priority == "normal" and not high.tags.exists()


def test_solving_a_ticket_mails_the_rating_link_once(make_ticket: Any, django_capture_on_commit_callbacks: Any, settings: Any) -> None:
    settings.CC_PUBLIC_URL = "https://help.example"
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.solve_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.reopen_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.solve_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=timezone.now())
    assert Invitation.objects.filter(ticket=ticket).count() == 1
    assert services.send_due_invitations(timezone.now()) == 1
    assert services.send_due_invitations(timezone.now()) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang@example.com"] and ticket.number in message.subject
    link = next(line for line in message.body.splitlines() if line.startswith("https://help.example/csat/"))
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert services.ticket_id_for_token(token) == ticket.pk


def test_a_customer_without_an_e_mail_gets_no_invitation(make_ticket: Any, django_capture_on_commit_callbacks: Any) -> None:
    from contactcenter.core.customers.models import Customer

    ticket = make_ticket(customer=Customer.objects.create(name="No mail", phone="+8613800000000"))
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.solve_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=timezone.now())
    assert not Invitation.objects.exists()


def test_agents_see_the_rating_on_the_ticket(solved: Any, alice: AgentProfile, outsider: AgentProfile) -> None:
    ticket = solved()
    api = client_for(alice)
    assert api.get(f"/api/tickets/{ticket.pk}/csat/").json() == {"ticket_id": ticket.pk, "rating": None}
    services.rate_ticket(token=services.rating_token(ticket_id=ticket.pk), score=2, comment="meh", now=timezone.now())
    body = api.get(f"/api/tickets/{ticket.pk}/csat/").json()
    assert body["rating"]["score"] == 2 and body["rating"]["comment"] == "meh" and body["rating"]["agent_id"] == alice.pk
    assert client_for(outsider).get(f"/api/tickets/{ticket.pk}/csat/").status_code == 404
