"""Portal sign-in by one-time mailed link: mailed, used once, expiring, rate-limited, and the same
answer whether or not the address is a customer's."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from contactcenter.core.customers.models import CustomerIdentity
from tests.factories import AgentFactory, CustomerFactory
from tests.tickets.conftest import T0
from tests.tickets.portal_helpers import last_token, mailed_tokens, own_cache, signed_in, text_of
from tickets.models import PortalLink
from tickets.portal.auth import SESSION_KEY


@pytest.fixture(autouse=True)
def _empty_throttles(settings: Any) -> Any:
    own_cache(settings)
    yield


@pytest.fixture
def ask(client: Client, django_capture_on_commit_callbacks: Any) -> Any:
    def _ask(email: str, *, ip: str = "10.0.0.1", **data: str) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/portal/", {"email": email, **data}, REMOTE_ADDR=ip)

    return _ask


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_asking_for_a_link_mails_one_that_signs_the_customer_in(client: Client, ask: Any, customer: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    response = ask("Wang@Example.com")
    assert response.status_code == 200
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["wang@example.com"]
    token = last_token()
    assert client.get(f"/portal/sign-in/{token}/").status_code == 200
    signed = client.post(f"/portal/sign-in/{token}/")
    assert signed.status_code == 302 and signed["Location"] == "/portal/tickets/"
    assert client.session[SESSION_KEY] == customer.pk
    assert ticket.number in text_of(client.get("/portal/tickets/"))


def test_only_the_hash_of_the_token_is_stored(ask: Any, customer: Any) -> None:
    ask("wang@example.com")
    token = last_token()
    link = PortalLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(PortalLink.objects.values().get())


def test_opening_the_link_does_not_use_it_up_but_signing_in_does(client: Client, ask: Any, customer: Any) -> None:
    ask("wang@example.com")
    token = last_token()
    client.get(f"/portal/sign-in/{token}/")
    client.get(f"/portal/sign-in/{token}/")  # a mail scanner opening the link
    assert client.post(f"/portal/sign-in/{token}/").status_code == 302
    again = Client().post(f"/portal/sign-in/{token}/")
    assert again.status_code == 400
    assert "not valid any more" in text_of(again)


def test_an_expired_link_signs_nobody_in(ask: Any, customer: Any, settings: Any) -> None:
    settings.CC_PORTAL_LINK_MINUTES = 30
    with time_machine.travel(T0, tick=False):
        ask("wang@example.com")
    token = last_token()
    late = Client()
    with time_machine.travel(T0 + timedelta(minutes=30, seconds=1), tick=False):
        response = late.post(f"/portal/sign-in/{token}/")
    assert response.status_code == 400
    assert SESSION_KEY not in late.session


def test_a_link_used_within_its_time_works(ask: Any, customer: Any) -> None:
    with time_machine.travel(T0, tick=False):
        ask("wang@example.com")
    with time_machine.travel(T0 + timedelta(minutes=29), tick=False):
        assert Client().post(f"/portal/sign-in/{last_token()}/").status_code == 302


@pytest.mark.parametrize("token", ["wrong", "x" * 43, "a" * 500])
def test_a_wrong_token_signs_nobody_in(client: Client, customer: Any, token: str) -> None:
    response = client.post(f"/portal/sign-in/{token}/")
    assert response.status_code == 400
    assert SESSION_KEY not in client.session


def test_an_unknown_address_gets_the_same_answer_and_no_mail(ask: Any, customer: Any) -> None:
    known = ask("wang@example.com")
    unknown = ask("nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert _without_csrf(text_of(unknown)).replace("nobody@example.com", "X") == _without_csrf(text_of(known)).replace(
        "wang@example.com", "X"
    )
    assert [m.to for m in mail.outbox] == [["wang@example.com"]]
    assert not PortalLink.objects.filter(email="nobody@example.com").exists()


def test_an_address_gets_at_most_five_links_per_window_and_the_same_answer_after(ask: Any, customer: Any, settings: Any) -> None:
    settings.CC_PORTAL_LINKS_PER_WINDOW = 5
    with time_machine.travel(T0, tick=False):
        answers = [ask("wang@example.com", ip=f"10.0.0.{n}") for n in range(7)]
    assert len(mail.outbox) == 5
    assert {a.status_code for a in answers} == {200}
    assert PortalLink.objects.count() == 5
    with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
        ask("wang@example.com", ip="10.0.1.1")
    assert len(mail.outbox) == 6


def test_one_ip_asking_many_times_is_refused_after_its_budget(ask: Any, settings: Any, db: Any) -> None:
    settings.CC_PORTAL_LINKS_PER_WINDOW = 5
    for n in range(5):
        CustomerFactory(email=f"c{n}@example.com")
    with time_machine.travel(T0, tick=False):
        answers = [ask(f"c{n}@example.com", ip="10.9.9.9") for n in range(5)]
        refused = ask("c0@example.com", ip="10.9.9.9")
        elsewhere = ask("c1@example.com", ip="10.9.9.10")
    assert {a.status_code for a in answers} == {200}
    assert refused.status_code == 429
    assert "Too many" in text_of(refused)
    assert elsewhere.status_code == 200
    assert len(mail.outbox) == 6


def test_signing_in_gives_the_browser_a_new_session_key(client: Client, ask: Any, customer: Any) -> None:
    client.get("/portal/")
    session = client.session
    session["planted"] = "yes"
    session.save()
    before = client.cookies["sessionid"].value
    ask("wang@example.com")
    client.post(f"/portal/sign-in/{last_token()}/")
    assert client.cookies["sessionid"].value != before


def test_signing_out_forgets_the_customer(client: Client, customer: Any) -> None:
    signed_in(client, customer)
    assert client.get("/portal/tickets/").status_code == 200
    assert client.post("/portal/sign-out/").status_code == 302
    assert client.get("/portal/tickets/").status_code == 302


def test_an_agent_signed_in_to_the_console_is_not_a_portal_customer(client: Client, db: Any) -> None:
    agent = AgentFactory()
    client.force_login(agent.user)
    response = client.get("/portal/tickets/")
    assert response.status_code == 302 and response["Location"].startswith("/portal/?next=")


def test_a_portal_customer_is_not_signed_in_to_the_console(client: Client, customer: Any) -> None:
    signed_in(client, customer)
    assert client.get("/console/").status_code == 302
    assert client.get("/api/tickets/").status_code in (401, 403)


def test_the_link_brings_the_customer_back_to_the_page_they_asked_for(client: Client, ask: Any, customer: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    first = client.get(f"/portal/tickets/{ticket.number}/")
    assert first.status_code == 302
    ask("wang@example.com", next=f"/portal/tickets/{ticket.number}/")
    assert client.post(f"/portal/sign-in/{last_token()}/")["Location"] == f"/portal/tickets/{ticket.number}/"


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/portal/", "/admin/"])
def test_the_link_never_sends_the_customer_elsewhere(client: Client, ask: Any, customer: Any, next_path: str) -> None:
    ask("wang@example.com", next=next_path)
    assert client.post(f"/portal/sign-in/{last_token()}/")["Location"] == "/portal/tickets/"


def test_the_mailed_link_uses_the_configured_public_address(ask: Any, customer: Any, settings: Any) -> None:
    settings.CC_PUBLIC_URL = "https://support.example.com"
    ask("wang@example.com")
    assert "https://support.example.com/portal/sign-in/" in str(mail.outbox[0].body)
    assert mailed_tokens()


def test_signing_in_verifies_the_address(client: Client, ask: Any, customer: Any) -> None:
    ask("wang@example.com")
    client.post(f"/portal/sign-in/{last_token()}/")
    identity = CustomerIdentity.objects.get(kind="email", value="wang@example.com")
    assert identity.customer_id == customer.pk and identity.verified


def test_the_link_mail_is_in_the_language_of_the_request(ask: Any, customer: Any, client: Client) -> None:
    client.cookies["django_language"] = "zh-hans"
    ask("wang@example.com")
    assert mail.outbox[0].subject == "您的登录链接"


def test_in_the_server_the_mail_leaves_from_the_background(ask: Any, customer: Any, settings: Any) -> None:
    settings.CC_PORTAL_MAIL_IN_BACKGROUND = True
    ask("wang@example.com")
    deadline = time.monotonic() + 5
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [m.to for m in mail.outbox] == [["wang@example.com"]]


def test_old_links_are_purged_a_week_after_they_expired(ask: Any, customer: Any) -> None:
    from contactcenter.core import periodic
    from tickets.services.portal import purge_portal_links

    assert "tickets.portal_links" in periodic.names()
    with time_machine.travel(T0, tick=False):
        ask("wang@example.com")
    assert purge_portal_links(T0 + timedelta(days=7)) == 0
    assert purge_portal_links(T0 + timedelta(days=7, minutes=31)) == 1
    assert not PortalLink.objects.exists()
