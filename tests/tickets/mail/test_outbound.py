"""Mail out: which replies are mailed, how they look, and what happens when the server will not take them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from contactcenter.core.customers.models import Customer
from contactcenter.core.staff.models import AgentProfile, Team
from tests.factories import CustomerFactory
from tests.tickets.conftest import T0, at
from tests.tickets.mail.conftest import raw_mail
from tickets import services
from tickets.access import SYSTEM
from tickets.mail import inbound, outbound
from tickets.mail.models import Mailbox, MailMessage, OutboundMail
from tickets.models import Ticket, TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def relay_mailbox(mailbox: Mailbox) -> Mailbox:
    """The mailbox sending through the server's default mail settings (locmem in tests)."""
    mailbox.smtp_host = ""
    mailbox.save()
    return mailbox


@pytest.fixture
def mailed_ticket(relay_mailbox: Mailbox) -> Ticket:
    inbound.process_raw(mailbox=relay_mailbox, raw=raw_mail(message_id="<first@customer.example>"), now=T0)
    return Ticket.objects.get()


def reply(ticket: Ticket, actor: Any, body: str, capture: Any, *, now: Any = None, **kwargs: Any) -> TimelineEntry:
    with capture(execute=True):
        return services.reply(ticket_id=ticket.pk, actor=actor, body=body, now=now or at(10), **kwargs)


def test_an_agent_reply_is_queued_after_commit_and_sent_by_the_job(
    mailed_ticket: Ticket, alice: AgentProfile, django_capture_on_commit_callbacks: Any
) -> None:
    reply(mailed_ticket, alice, "已发货 <b>not markup</b>", django_capture_on_commit_callbacks)
    row = OutboundMail.objects.get()
    assert (row.status, row.to_address, row.next_attempt_at) == ("pending", "wang@example.com", at(10))
    assert mail.outbox == []  # nothing sent inside the request
    assert outbound.send_due(at(11)) == 1
    [sent] = mail.outbox
    assert sent.subject == f"Re: 订单问题 [{mailed_ticket.number}]"
    assert sent.extra_headers["In-Reply-To"] == "<first@customer.example>"
    assert sent.extra_headers["Message-ID"] == f"<{row.message_id}>"
    assert sent.from_email == "Shop help <help@shop.example>"
    html, mimetype = sent.alternatives[0]  # type: ignore[attr-defined]
    assert mimetype == "text/html" and "&lt;b&gt;not markup&lt;/b&gt;" in html
    assert outbound.send_due(at(12)) == 0


def test_internal_notes_and_the_customers_own_replies_are_never_mailed(
    mailed_ticket: Ticket, alice: AgentProfile, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.add_note(ticket_id=mailed_ticket.pk, actor=alice, body="internal", now=at(5))
    customer = mailed_ticket.customer
    assert customer is not None
    reply(mailed_ticket, customer, "from the portal", django_capture_on_commit_callbacks)
    assert not OutboundMail.objects.exists()


def test_a_ticket_without_an_email_customer_or_without_a_team_mailbox_sends_nothing(
    team: Team, other_team: Team, relay_mailbox: Mailbox, alice: AgentProfile, django_capture_on_commit_callbacks: Any
) -> None:
    no_email = services.create_ticket(actor=SYSTEM, team=team, subject="Phone", customer=CustomerFactory(email=""), now=T0)
    reply(no_email, alice, "hi", django_capture_on_commit_callbacks)
    other = services.create_ticket(actor=SYSTEM, team=other_team, subject="Other", customer=CustomerFactory(email="o@example.com"), now=T0)
    services.update_ticket(ticket_id=other.pk, actor=SYSTEM, followers=[alice], now=T0)
    reply(other, alice, "hi", django_capture_on_commit_callbacks)
    assert not OutboundMail.objects.exists()


def test_a_ticket_from_another_channel_with_an_email_customer_is_answered_by_mail(
    team: Team, relay_mailbox: Mailbox, customer: Customer, alice: AgentProfile, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = services.create_ticket(actor=SYSTEM, team=team, subject="From the web form", customer=customer, now=T0)
    reply(ticket, alice, "hello", django_capture_on_commit_callbacks)
    assert outbound.send_due(at(11)) == 1
    assert "In-Reply-To" not in mail.outbox[0].extra_headers  # nothing to thread on yet


def test_the_replys_files_are_attached(mailed_ticket: Ticket, alice: AgentProfile, django_capture_on_commit_callbacks: Any) -> None:
    upload = services.AttachmentUpload(filename="运单.pdf", content=b"%PDF-1.4 x", content_type="application/pdf")
    reply(mailed_ticket, alice, "见附件", django_capture_on_commit_callbacks, attachments=[upload])
    outbound.send_due(at(11))
    assert mail.outbox[0].attachments == [("运单.pdf", b"%PDF-1.4 x", "application/pdf")]


def test_a_reply_is_queued_once_even_if_the_hook_runs_twice(mailed_ticket: Ticket, alice: AgentProfile) -> None:
    entry = services.reply(ticket_id=mailed_ticket.pk, actor=alice, body="hi", now=at(10))
    first = outbound.enqueue_reply(entry_id=entry.pk, now=at(10))
    again = outbound.enqueue_reply(entry_id=entry.pk, now=at(11))
    assert first is not None and again is not None and first.pk == again.pk
    assert OutboundMail.objects.count() == 1
    assert MailMessage.objects.filter(direction="out").count() == 1


def test_failures_back_off_and_after_the_last_attempt_the_ticket_gets_a_note(
    mailed_ticket: Ticket, mailbox: Mailbox, alice: AgentProfile, django_capture_on_commit_callbacks: Any
) -> None:
    mailbox.smtp_host, mailbox.smtp_port = "127.0.0.1", 1  # nothing listens there
    mailbox.save()
    reply(mailed_ticket, alice, "hi", django_capture_on_commit_callbacks)
    now = at(10)
    delays = []
    for _ in range(outbound.MAX_ATTEMPTS):
        row = OutboundMail.objects.get()
        now = row.next_attempt_at
        assert outbound.send_due(now) == 0
        row.refresh_from_db()
        delays.append(row.next_attempt_at - now)
    assert delays[:4] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert row.status == "failed" and row.attempts == outbound.MAX_ATTEMPTS and row.last_error
    note = TimelineEntry.objects.filter(ticket=mailed_ticket, kind="internal_note").last()
    assert note is not None and "wang@example.com" in note.body
    assert outbound.send_due(now + timedelta(days=1)) == 0


def test_reply_subjects_do_not_pile_up_prefixes_or_numbers(team: Team) -> None:
    ticket = services.create_ticket(actor=SYSTEM, team=team, subject="回复: Re: RE: 发票 [T-000009]", now=T0)
    assert outbound.reply_subject(ticket) == f"Re: 发票 [{ticket.number}]"


def test_retry_delays_grow_and_stop_at_an_hour() -> None:
    assert [outbound.retry_delay(n) for n in (1, 2, 3)] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert outbound.retry_delay(20) == timedelta(hours=1)


def test_an_unreachable_server_costs_one_connection_attempt_per_round(
    mailed_ticket: Ticket, mailbox: Mailbox, alice: AgentProfile, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    mailbox.smtp_host, mailbox.smtp_port = "127.0.0.1", 1
    mailbox.save()
    reply(mailed_ticket, alice, "one", django_capture_on_commit_callbacks, now=at(10))
    reply(mailed_ticket, alice, "two", django_capture_on_commit_callbacks, now=at(11))
    opened: list[str] = []
    connect = outbound.connection_for
    monkeypatch.setattr(outbound, "connection_for", lambda box: opened.append(box.address) or connect(box))
    assert outbound.send_due(at(12)) == 0
    assert opened == ["help@shop.example"]
    assert list(OutboundMail.objects.values_list("attempts", "status")) == [(1, "pending"), (1, "pending")]


def test_a_reply_whose_hook_never_ran_is_queued_by_the_sweep_once(mailed_ticket: Ticket, alice: AgentProfile, team: Team) -> None:
    entry = services.reply(ticket_id=mailed_ticket.pk, actor=alice, body="hook lost", now=at(10))  # no commit hooks here
    services.add_note(ticket_id=mailed_ticket.pk, actor=alice, body="note", now=at(11))
    phone = services.create_ticket(actor=SYSTEM, team=team, subject="Phone", customer=CustomerFactory(email=""), now=T0)
    services.reply(ticket_id=phone.pk, actor=alice, body="no address", now=at(12))
    assert outbound.enqueue_missed(at(30)) == 0  # the newest minute is left to the hook
    assert outbound.enqueue_missed(at(120)) == 1
    assert outbound.enqueue_missed(at(180)) == 0
    row = OutboundMail.objects.get()
    assert (row.entry_id, row.next_attempt_at) == (entry.pk, at(10))
    assert outbound.enqueue_missed(at(10) + timedelta(hours=2)) == 0
