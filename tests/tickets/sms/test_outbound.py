"""The SMS outbox against a local fake gateway: sent once, retried with backoff, refused, timed out, raced."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from contactcenter.core import periodic
from contactcenter.core.customers.models import Customer, CustomerIdentity
from contactcenter.core.staff.models import Team
from tests.tickets.conftest import T0
from tests.tickets.sms.conftest import FakeGateway
from tickets import services
from tickets.access import SYSTEM
from tickets.models import Ticket, TimelineEntry
from tickets.sms import outbound
from tickets.sms.models import OutboundSms

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(make_ticket: Callable[..., Ticket]) -> OutboundSms:
    return outbound.enqueue(ticket=make_ticket(), to_number="+8613800138000", body="Your ticket is solved.", now=T0)


def _notes(ticket_id: int) -> list[str]:
    return list(TimelineEntry.objects.filter(ticket_id=ticket_id, kind="internal_note").values_list("body", flat=True))


def test_a_text_is_sent_once_with_the_token_sender_and_reference(sms_gateway: FakeGateway, queued: OutboundSms) -> None:
    assert outbound.send_due(T0) == 1
    [(headers, body)] = sms_gateway.seen
    assert headers["Authorization"] == "Bearer tok-123" and headers["Content-Type"] == "application/json"
    assert body == {"to": "+8613800138000", "text": "Your ticket is solved.", "sender": "Shop", "reference": f"sms-{queued.pk}"}
    queued.refresh_from_db()
    assert queued.status == "sent" and queued.provider_message_id == "gw-1" and queued.sent_at == T0 and queued.attempts == 1
    assert outbound.send_due(T0 + timedelta(hours=1)) == 0 and len(sms_gateway.seen) == 1


def test_a_5xx_is_retried_with_backoff_then_sent(sms_gateway: FakeGateway, queued: OutboundSms) -> None:
    sms_gateway.answers = [(503, {"error": "busy"}, 0.0), (500, {}, 0.0)]
    assert outbound.send_due(T0) == 0
    queued.refresh_from_db()
    assert queued.status == "pending" and queued.attempts == 1 and queued.last_error.startswith("HTTP 503")
    assert queued.next_attempt_at == T0 + timedelta(seconds=30)
    assert outbound.send_due(T0 + timedelta(seconds=29)) == 0 and len(sms_gateway.seen) == 1  # not due yet
    assert outbound.send_due(T0 + timedelta(seconds=30)) == 0
    queued.refresh_from_db()
    assert queued.next_attempt_at == T0 + timedelta(seconds=30) + timedelta(minutes=1)
    assert outbound.send_due(queued.next_attempt_at) == 1
    queued.refresh_from_db()
    assert queued.status == "sent" and queued.attempts == 3 and queued.last_error == ""
    assert {body["reference"] for _headers, body in sms_gateway.seen} == {f"sms-{queued.pk}"}  # one key for the gateway to dedupe
    assert _notes(queued.ticket_id) == []


def test_a_4xx_is_given_up_at_once_with_a_note(sms_gateway: FakeGateway, queued: OutboundSms) -> None:
    sms_gateway.answers = [(422, {"error": "invalid number"}, 0.0)]
    assert outbound.send_due(T0) == 0
    queued.refresh_from_db()
    assert queued.status == "failed" and queued.attempts == 1 and "invalid number" in queued.last_error
    assert outbound.send_due(T0 + timedelta(days=1)) == 0 and len(sms_gateway.seen) == 1
    [note] = _notes(queued.ticket_id)
    assert "+8613800138000" in note and "HTTP 422" in note
    assert TimelineEntry.objects.get(ticket_id=queued.ticket_id, kind="internal_note").author_agent_id is None  # the system's


def test_a_timeout_is_retried(sms_gateway: FakeGateway, queued: OutboundSms) -> None:
    sms_gateway.answers = [(200, {"id": "late"}, 1.5)]  # longer than the 0.5 s timeout
    assert outbound.send_due(T0) == 0
    queued.refresh_from_db()
    assert queued.status == "pending" and queued.attempts == 1 and "timed out" in queued.last_error.lower()
    assert outbound.send_due(T0 + timedelta(seconds=30)) == 1
    queued.refresh_from_db()
    assert queued.status == "sent" and queued.provider_message_id == "gw-2"


def test_retries_end_after_the_last_attempt_with_a_note(sms_gateway: FakeGateway, queued: OutboundSms) -> None:
    sms_gateway.answers = [(502, {}, 0.0)] * outbound.MAX_ATTEMPTS
    now = T0
    for _attempt in range(outbound.MAX_ATTEMPTS):
        outbound.send_due(now)
        queued.refresh_from_db()
        now = queued.next_attempt_at
    assert queued.status == "failed" and queued.attempts == outbound.MAX_ATTEMPTS
    assert [outbound.retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 20)] == [30, 60, 120, 240, 3600]
    [note] = _notes(queued.ticket_id)
    assert f"after {outbound.MAX_ATTEMPTS} attempts" in note
    assert outbound.send_due(now + timedelta(days=1)) == 0 and len(sms_gateway.seen) == outbound.MAX_ATTEMPTS


def test_rows_wait_while_no_gateway_is_configured(settings: Any, queued: OutboundSms) -> None:
    settings.CC_SMS_GATEWAY_URL = ""
    assert outbound.send_due(T0) == 0
    queued.refresh_from_db()
    assert queued.status == "pending" and queued.attempts == 0


def test_a_long_text_is_cut(make_ticket: Callable[..., Ticket]) -> None:
    row = outbound.enqueue(ticket=make_ticket(), to_number="+1555000111", body="x" * 2000, now=T0)
    assert len(row.body) == outbound.MAX_BODY and row.body.endswith("…")


def test_the_number_is_the_customers_phone_or_a_phone_identity_normalised(team: Team) -> None:
    with_phone = Customer.objects.create(phone=" +86 (138) 0013-8000 ")
    ticket = services.create_ticket(actor=SYSTEM, team=team, subject="a", customer=with_phone, now=T0)
    assert outbound.phone_number(ticket) == "+8613800138000"
    identified = Customer.objects.create(phone="n/a")
    CustomerIdentity.objects.create(customer=identified, kind=CustomerIdentity.Kind.PHONE, value="138 0013 8001")
    ticket = services.create_ticket(actor=SYSTEM, team=team, subject="b", customer=identified, now=T0)
    assert outbound.phone_number(ticket) == "13800138001"
    ticket = services.create_ticket(actor=SYSTEM, team=team, subject="c", customer=Customer.objects.create(phone=""), now=T0)
    assert outbound.phone_number(ticket) == ""


def test_the_job_is_on_the_ticker() -> None:
    assert "tickets_sms.send" in periodic.names()


NODES = 3


@pytest.mark.django_db(transaction=True)
def test_tickers_racing_send_each_text_once(sms_gateway: FakeGateway, team: Team) -> None:
    customer = Customer.objects.create(phone="+8613800138000")
    ticket = services.create_ticket(actor=SYSTEM, team=team, subject="race", customer=customer, now=T0)
    rows = [outbound.enqueue(ticket=ticket, to_number=customer.phone, body=f"text {n}", now=T0) for n in range(5)]
    sms_gateway.answers = [(200, {"id": f"slow-{n}"}, 0.1) for n in range(5)]  # calls overlap with the other tickers' claims
    start = threading.Barrier(NODES)
    sent: list[int] = []
    errors: list[BaseException] = []

    def ticker() -> None:
        try:
            start.wait()
            sent.append(outbound.send_due(T0 + timedelta(seconds=1)))
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=ticker) for _ in range(NODES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(sent) == len(rows)
    assert sorted(body["text"] for _headers, body in sms_gateway.seen) == sorted(row.body for row in rows)
    assert set(OutboundSms.objects.values_list("status", flat=True)) == {"sent"}
