"""The public web form of a team: opens a ticket for the customer behind the e-mail, mails a portal
link to it, and keeps bots and floods out (honeypot, per-IP budget)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from contactcenter.core.customers.models import Customer, CustomerIdentity
from tests.factories import CustomerFactory
from tests.tickets.portal_helpers import last_token, own_cache, text_of
from tickets.models import Source, Ticket, TicketAttachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _open_form(settings: Any, team: Any) -> Any:
    settings.CC_WEBFORM_TEAMS = [team.slug]
    settings.CC_WEBFORM_PER_IP = 5
    own_cache(settings)
    yield


@pytest.fixture
def send(client: Client, django_capture_on_commit_callbacks: Any, team: Any) -> Any:
    def _send(*, ip: str = "10.1.1.1", slug: str = "", **fields: Any) -> Any:
        data = {"name": "Zhao Lei", "email": "zhao@example.com", "subject": "Meter stuck", "description": "It does not turn.", **fields}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/support/{slug or team.slug}/", data, REMOTE_ADDR=ip)

    return _send


def test_the_form_opens_a_webform_ticket_for_a_new_customer_and_mails_a_link_to_it(client: Client, send: Any, team: Any) -> None:
    response = send(email="Zhao@Example.com")
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.team_id, ticket.subject, ticket.description) == (
        Source.WEBFORM,
        team.pk,
        "Meter stuck",
        "It does not turn.",
    )
    customer = Customer.objects.get(pk=ticket.customer_id)
    assert (customer.name, customer.email) == ("Zhao Lei", "zhao@example.com")
    identity = CustomerIdentity.objects.get(customer=customer)
    assert (identity.kind, identity.value, identity.verified) == ("email", "zhao@example.com", False)
    thanks = text_of(client.get(response["Location"]))
    assert ticket.number in thanks
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["zhao@example.com"] and ticket.number in mail.outbox[0].subject
    signed = Client().post(f"/portal/sign-in/{last_token()}/")
    assert signed["Location"] == f"/portal/tickets/{ticket.number}/"


def test_a_known_address_gets_the_ticket_on_its_customer_without_renaming_them(send: Any) -> None:
    known = CustomerFactory(name="Zhao L.", email="zhao@example.com")
    CustomerIdentity.objects.create(customer=known, kind="email", value="zhao@example.com", verified=True)
    send(name="Somebody Else")
    ticket = Ticket.objects.get()
    assert ticket.customer_id == known.pk
    known.refresh_from_db()
    assert known.name == "Zhao L."
    assert Customer.objects.count() == 1


def test_a_team_that_did_not_opt_in_has_no_form(client: Client, other_team: Any, send: Any) -> None:
    assert client.get(f"/support/{other_team.slug}/").status_code == 404
    assert client.get("/support/no-such-team/").status_code == 404
    assert send(slug=other_team.slug).status_code == 404
    assert not Ticket.objects.exists()


def test_a_filled_honeypot_stores_nothing_and_looks_like_success(client: Client, send: Any) -> None:
    response = send(website="http://spam.example")
    assert response.status_code == 302
    assert not Ticket.objects.exists() and not Customer.objects.exists() and not mail.outbox
    assert "T-" not in text_of(client.get(response["Location"]))


def test_one_ip_sends_at_most_its_budget(send: Any) -> None:
    answers = [send(subject=f"Request {n}", email=f"p{n}@example.com") for n in range(6)]
    assert [a.status_code for a in answers] == [302] * 5 + [429]
    assert "Too many requests" in text_of(answers[-1])
    assert Ticket.objects.count() == 5
    assert send(ip="10.1.1.2").status_code == 302


def test_missing_and_wrong_fields_come_back_with_their_errors(send: Any) -> None:
    response = send(email="not-an-address", subject="", description="")
    page = text_of(response)
    assert response.status_code == 400
    for field in ("email", "subject", "description"):
        assert f'data-testid="error-{field}"' in page
    assert 'value="Zhao Lei"' in page  # what was typed stays
    assert not Ticket.objects.exists()


def test_an_attachment_is_stored_on_the_customers_first_public_reply(send: Any) -> None:
    send(attachment=SimpleUploadedFile("meter.png", PNG))
    stored = TicketAttachment.objects.get()
    assert stored.filename == "meter.png" and stored.entry is not None and stored.entry.kind == "public_reply"


def test_a_refused_attachment_is_a_field_error(send: Any) -> None:
    response = send(attachment=SimpleUploadedFile("x.svg", b"<svg onload=alert(1)></svg>"))
    assert response.status_code == 400 and 'data-testid="error-attachment"' in text_of(response)
    assert not Ticket.objects.exists()


def test_hostile_html_in_the_form_is_shown_back_as_text(send: Any) -> None:
    response = send(email="bad", subject='"><script>alert(1)</script>')
    assert "<script>alert(1)" not in text_of(response) and "&lt;script&gt;" in text_of(response)


def test_the_form_needs_its_csrf_token(team: Any, db: Any) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/support/{team.slug}/", {"name": "a", "email": "a@example.com", "subject": "s", "description": "d"})
    assert response.status_code == 403 and not Ticket.objects.exists()


def test_the_form_speaks_chinese(client: Client, team: Any) -> None:
    client.cookies["django_language"] = "zh-hans"
    page = text_of(client.get(f"/support/{team.slug}/"))
    assert "电子邮件地址" in page


def test_a_signed_in_customer_finds_their_name_and_address_filled_in(client: Client, customer: Any, team: Any) -> None:
    from tests.tickets.portal_helpers import signed_in

    page = text_of(signed_in(client, customer).get(f"/support/{team.slug}/"))
    assert 'value="Wang Fang"' in page and 'value="wang@example.com"' in page


def test_an_oversized_upload_is_refused_before_its_body_is_read(send: Any, settings: Any) -> None:
    settings.CC_ATTACHMENT_MAX_BYTES = 1024
    response = send(attachment=SimpleUploadedFile("big.png", PNG + b"\x00" * (200 * 1024)))
    assert response.status_code == 413 and not Ticket.objects.exists()
