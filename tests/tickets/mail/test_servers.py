"""The e-mail channel against real servers: dovecot for IMAP (Debian's, started here), aiosmtpd for SMTP.

Issue 7's "done when": a GBK mail in the IMAP mailbox becomes a ticket; the agent's reply arrives at
the SMTP server threaded; the customer's reply to it lands on the same ticket.
"""

from __future__ import annotations

import imaplib
from typing import Any

import pytest

from contactcenter.core.staff.models import AgentProfile, Team
from tests.tickets.conftest import T0, at
from tests.tickets.mail.conftest import Dovecot, SmtpSink, raw_mail
from tickets import services
from tickets.mail import inbound, outbound
from tickets.mail.models import Mailbox, MailMessage, OutboundMail
from tickets.models import Source, Ticket, TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_mailbox(team: Team, dovecot: Dovecot, smtp_server: SmtpSink) -> Mailbox:
    user, password = dovecot.add_user()
    return Mailbox.objects.create(
        team=team,
        address=user,
        display_name="售后服务",
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security=Mailbox.Security.NONE,
        imap_user=user,
        imap_password=password,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_security=Mailbox.Security.NONE,
    )


def deliver(mailbox: Mailbox, raw: bytes) -> None:
    """Put a message into the mailbox as the customer's mail server would (IMAP APPEND)."""
    imap = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=10)
    try:
        imap.login(mailbox.imap_user, mailbox.imap_password)
        status, _ = imap.append("INBOX", "", imaplib.Time2Internaldate(T0.timestamp()), raw)
        assert status == "OK"
    finally:
        imap.logout()


def mark_unread(mailbox: Mailbox) -> None:
    imap = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=10)
    try:
        imap.login(mailbox.imap_user, mailbox.imap_password)
        imap.select("INBOX")
        imap.uid("STORE", "1:*", "-FLAGS", "(\\Seen)")
    finally:
        imap.logout()


def seen_flags(mailbox: Mailbox) -> list[bytes]:
    imap = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=10)
    try:
        imap.login(mailbox.imap_user, mailbox.imap_password)
        imap.select("INBOX", readonly=True)
        _, data = imap.uid("FETCH", "1:*", "(FLAGS)")
        return [line for line in data if isinstance(line, bytes)]
    finally:
        imap.logout()


def test_gbk_mail_becomes_a_ticket_the_reply_is_threaded_and_the_answer_lands_on_the_ticket(
    live_mailbox: Mailbox, smtp_server: SmtpSink, alice: AgentProfile, django_capture_on_commit_callbacks: Any
) -> None:
    deliver(live_mailbox, raw_mail(to=live_mailbox.address, message_id="<first@customer.example>"))
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound.fetch_mailbox(mailbox=live_mailbox, now=T0)
    assert result is not None and (result.fetched, result.processed, result.error) == (1, 1, "")
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.description, ticket.source) == ("订单问题", "您好，我的订单还没有发货。", Source.EMAIL)
    assert all(b"\\Seen" in line for line in seen_flags(live_mailbox))

    with django_capture_on_commit_callbacks(execute=True):
        services.add_note(ticket_id=ticket.pk, actor=alice, body="内部：先查物流", now=at(10))
        services.reply(ticket_id=ticket.pk, actor=alice, body="您好，已为您加急发货。\n\n客服 Alice", now=at(20))
    assert outbound.send_due(at(21)) == 1
    [sent] = smtp_server.messages
    assert smtp_server.envelopes == [(live_mailbox.address, ["wang@example.com"])]
    assert sent["Subject"] == f"Re: 订单问题 [{ticket.number}]"
    assert sent["In-Reply-To"] == "<first@customer.example>"
    assert sent["References"] == "<first@customer.example>"
    assert sent["From"].addresses[0].display_name == "售后服务"
    body = sent.get_body(preferencelist=("plain",))
    assert body is not None and "已为您加急发货" in body.get_content() and "内部" not in sent.as_string()
    our_id = sent["Message-ID"].strip("<>")
    assert MailMessage.objects.filter(message_id=our_id, ticket=ticket, direction="out").exists()

    answer = raw_mail(
        to=live_mailbox.address,
        subject=f"回复：Re: 订单问题 [{ticket.number}]",
        body="太好了，谢谢！\n\n在 2026年3月2日 09:00，售后服务 写道：\n> 您好，已为您加急发货。",
        message_id="<second@customer.example>",
        headers={"In-Reply-To": f"<{our_id}>", "References": f"<first@customer.example> <{our_id}>"},
    )
    deliver(live_mailbox, answer)
    live_mailbox.refresh_from_db()
    result = inbound.fetch_mailbox(mailbox=live_mailbox, now=at(30))
    assert result is not None and result.processed == 1
    assert Ticket.objects.count() == 1
    last = TimelineEntry.objects.filter(ticket=ticket, kind="public_reply").last()
    assert last is not None and (last.body, last.author_customer_id) == ("太好了，谢谢！", ticket.customer_id)


def test_a_refetch_from_scratch_imports_nothing_twice(live_mailbox: Mailbox) -> None:
    deliver(live_mailbox, raw_mail(to=live_mailbox.address, message_id="<a@customer.example>"))
    deliver(live_mailbox, raw_mail(to=live_mailbox.address, message_id="<b@customer.example>", subject="另一个问题"))
    inbound.fetch_mailbox(mailbox=live_mailbox, now=T0)
    assert Ticket.objects.count() == 2
    Mailbox.objects.filter(pk=live_mailbox.pk).update(last_uid=0, uid_validity=None)  # as after a folder rebuild
    mark_unread(live_mailbox)  # ... by a tool that lost the flags too
    live_mailbox.refresh_from_db()
    result = inbound.fetch_mailbox(mailbox=live_mailbox, now=at(60))
    assert result is not None and (result.fetched, result.processed) == (2, 0)
    assert Ticket.objects.count() == 2


def test_a_broken_message_is_marked_and_the_fetch_goes_on(live_mailbox: Mailbox) -> None:
    deliver(live_mailbox, b"Subject: =?gbk?B?!!!?=\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n")
    deliver(live_mailbox, raw_mail(to=live_mailbox.address, message_id="<ok@customer.example>"))
    result = inbound.fetch_mailbox(mailbox=live_mailbox, now=T0)
    assert result is not None and (result.fetched, result.processed, result.error) == (2, 2, "")
    assert sorted(MailMessage.objects.values_list("outcome", flat=True)) == ["failed", "ticket_created"]
    live_mailbox.refresh_from_db()
    assert live_mailbox.last_uid == 2


def test_an_oversized_message_is_not_downloaded(live_mailbox: Mailbox, settings: Any) -> None:
    settings.CC_MAIL_MAX_BYTES = 2000
    deliver(live_mailbox, raw_mail(to=live_mailbox.address, body="大" * 3000))
    result = inbound.fetch_mailbox(mailbox=live_mailbox, now=T0)
    assert result is not None and result.processed == 1
    assert MailMessage.objects.get().outcome == MailMessage.Outcome.TOO_LARGE
    assert not Ticket.objects.exists()


def test_a_wrong_password_is_an_error_on_the_mailbox_not_a_crash(live_mailbox: Mailbox) -> None:
    live_mailbox.imap_password = "wrong"
    live_mailbox.save()
    result = inbound.fetch_mailbox(mailbox=live_mailbox, now=T0)
    assert result is not None and result.error
    live_mailbox.refresh_from_db()
    assert live_mailbox.last_error and live_mailbox.lease_until is None and live_mailbox.last_polled_at == T0


@pytest.mark.parametrize(
    ("change", "error"), [({"imap_security": "starttls"}, "TLS not supported"), ({"imap_password": "密码"}, "UnicodeEncodeError")]
)
def test_a_server_without_starttls_or_an_unsendable_password_is_an_error_on_the_mailbox(
    live_mailbox: Mailbox, change: dict[str, str], error: str
) -> None:
    Mailbox.objects.filter(pk=live_mailbox.pk).update(**change)
    result = inbound.fetch_mailbox(mailbox=live_mailbox, now=T0)
    assert result is not None and error in result.error
    live_mailbox.refresh_from_db()
    assert error in live_mailbox.last_error and live_mailbox.lease_until is None


def test_a_refusing_smtp_server_is_retried_with_backoff_and_nothing_is_lost(
    live_mailbox: Mailbox, smtp_server: SmtpSink, alice: AgentProfile, django_capture_on_commit_callbacks: Any
) -> None:
    deliver(live_mailbox, raw_mail(to=live_mailbox.address))
    inbound.fetch_mailbox(mailbox=live_mailbox, now=T0)
    ticket = Ticket.objects.get()
    smtp_server.refuse = True
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(ticket_id=ticket.pk, actor=alice, body="稍等", now=at(1))
    assert outbound.send_due(at(2)) == 0
    row = OutboundMail.objects.get()
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, at(2) + outbound.retry_delay(1))
    assert "451" in row.last_error
    assert outbound.send_due(at(30)) == 0  # not due yet: nothing tried
    smtp_server.refuse = False
    assert outbound.send_due(row.next_attempt_at) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(smtp_server.messages) == 1


def test_the_periodic_job_fetches_due_mailboxes_only(live_mailbox: Mailbox) -> None:
    deliver(live_mailbox, raw_mail(to=live_mailbox.address))
    assert inbound.fetch_due_mailboxes(T0) == 1
    deliver(live_mailbox, raw_mail(to=live_mailbox.address, message_id="<later@customer.example>"))
    assert inbound.fetch_due_mailboxes(at(10)) == 0  # polled 10 s ago, interval 60 s
    assert inbound.fetch_due_mailboxes(at(61)) == 1
    Mailbox.objects.update(is_active=False)
    deliver(live_mailbox, raw_mail(to=live_mailbox.address, message_id="<off@customer.example>"))
    assert inbound.fetch_due_mailboxes(at(200)) == 0


def test_a_new_mailbox_takes_only_unread_mail_then_every_new_message(live_mailbox: Mailbox) -> None:
    deliver(live_mailbox, raw_mail(to=live_mailbox.address, message_id="<old@customer.example>"))
    imap = imaplib.IMAP4(live_mailbox.imap_host, live_mailbox.imap_port, timeout=10)
    imap.login(live_mailbox.imap_user, live_mailbox.imap_password)
    imap.append("INBOX", "(\\Seen)", imaplib.Time2Internaldate(T0.timestamp()), raw_mail(message_id="<read@customer.example>"))
    imap.logout()
    result = inbound.fetch_mailbox(mailbox=live_mailbox, now=T0)
    assert result is not None and (result.fetched, result.processed) == (1, 1)
    assert list(MailMessage.objects.values_list("message_id", flat=True)) == ["old@customer.example"]
    imap = imaplib.IMAP4(live_mailbox.imap_host, live_mailbox.imap_port, timeout=10)
    imap.login(live_mailbox.imap_user, live_mailbox.imap_password)
    imap.append("INBOX", "(\\Seen)", imaplib.Time2Internaldate(T0.timestamp()), raw_mail(message_id="<read-later@customer.example>"))
    imap.logout()
    live_mailbox.refresh_from_db()
    result = inbound.fetch_mailbox(mailbox=live_mailbox, now=at(60))
    assert result is not None and (result.fetched, result.processed) == (1, 1)  # read in a mail client, still taken


def test_a_start_with_more_unread_mail_than_one_round_takes_them_all_but_no_read_ones(live_mailbox: Mailbox, monkeypatch: Any) -> None:
    monkeypatch.setattr(inbound, "BATCH", 2)
    for n in range(3):
        deliver(live_mailbox, raw_mail(to=live_mailbox.address, message_id=f"<unread-{n}@customer.example>"))
    imap = imaplib.IMAP4(live_mailbox.imap_host, live_mailbox.imap_port, timeout=10)
    imap.login(live_mailbox.imap_user, live_mailbox.imap_password)
    imap.append("INBOX", "(\\Seen)", imaplib.Time2Internaldate(T0.timestamp()), raw_mail(message_id="<read@customer.example>"))
    imap.logout()
    first = inbound.fetch_mailbox(mailbox=live_mailbox, now=T0)
    second = inbound.fetch_mailbox(mailbox=live_mailbox, now=at(60))
    assert first is not None and second is not None and (first.processed, second.processed) == (2, 1)
    assert sorted(MailMessage.objects.values_list("message_id", flat=True)) == [f"unread-{n}@customer.example" for n in range(3)]
    live_mailbox.refresh_from_db()
    assert live_mailbox.last_uid == 4
    third = inbound.fetch_mailbox(mailbox=live_mailbox, now=at(120))
    assert third is not None and third.fetched == 0
