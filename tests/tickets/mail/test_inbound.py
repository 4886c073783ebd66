"""One message in: a new ticket, a customer's reply on their ticket, or a recorded refusal — once each."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest

from contactcenter.core.customers.models import Customer, CustomerIdentity
from contactcenter.core.staff.models import AgentProfile, Team
from tests.factories import CustomerFactory
from tests.tickets.conftest import T0, at
from tests.tickets.mail.conftest import raw_mail
from tickets import services
from tickets.access import SYSTEM
from tickets.mail import inbound
from tickets.mail.models import Mailbox, MailMessage
from tickets.models import Source, Status, Ticket, TimelineEntry

pytestmark = pytest.mark.django_db

Outcome = MailMessage.Outcome


def test_a_gbk_mail_becomes_an_email_ticket_of_the_mailbox_team(mailbox: Mailbox, team: Team) -> None:
    record = inbound.process_raw(mailbox=mailbox, raw=raw_mail(), now=T0)
    assert record is not None and record.outcome == Outcome.TICKET_CREATED
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.description, ticket.source, ticket.team_id) == (
        "订单问题",
        "您好，我的订单还没有发货。",
        Source.EMAIL,
        team.pk,
    )
    assert record.ticket_id == ticket.pk
    customer = ticket.customer
    assert customer is not None and (customer.name, customer.email) == ("王芳", "wang@example.com")
    assert CustomerIdentity.objects.filter(customer=customer, kind="email", value="wang@example.com").exists()


def test_the_same_message_fetched_twice_is_processed_once(mailbox: Mailbox) -> None:
    assert inbound.process_raw(mailbox=mailbox, raw=raw_mail(), now=T0) is not None
    assert inbound.process_raw(mailbox=mailbox, raw=raw_mail(), now=at(60)) is None
    assert Ticket.objects.count() == 1 and MailMessage.objects.count() == 1


def test_a_known_customer_is_found_by_address(mailbox: Mailbox, customer: Customer) -> None:
    inbound.process_raw(mailbox=mailbox, raw=raw_mail(sender="Someone Else <WANG@example.com>"), now=T0)
    assert Ticket.objects.get().customer_id == customer.pk
    assert Customer.objects.count() == 1


def _reply_raw(ticket: Ticket, **kwargs: Any) -> bytes:
    return raw_mail(
        subject=f"回复: {ticket.subject} [{ticket.number}]",
        body="收到，谢谢。\n\n在 2026年3月2日 09:00，Shop help 写道：\n> 已发货",
        message_id="<reply@example.com>",
        **kwargs,
    )


def test_a_reply_to_our_message_id_lands_on_the_ticket_trimmed(mailbox: Mailbox) -> None:
    inbound.process_raw(mailbox=mailbox, raw=raw_mail(), now=T0)
    ticket = Ticket.objects.get()
    MailMessage.objects.create(message_id="ours@shop.example", direction="out", outcome=Outcome.OUTGOING, ticket=ticket, created_at=at(1))
    raw = raw_mail(
        subject="Re: whatever", body="收到\n> 已发货", message_id="<r2@example.com>", headers={"In-Reply-To": "<ours@shop.example>"}
    )
    record = inbound.process_raw(mailbox=mailbox, raw=raw, now=at(2))
    assert record is not None and record.outcome == Outcome.REPLIED and record.ticket_id == ticket.pk
    entry = TimelineEntry.objects.get(pk=record.entry_id)
    assert (entry.kind, entry.body, entry.author_customer_id) == ("public_reply", "收到", ticket.customer_id)
    assert Ticket.objects.count() == 1


def test_a_ticket_number_in_the_subject_threads_and_reopens_a_solved_ticket(mailbox: Mailbox, alice: AgentProfile) -> None:
    inbound.process_raw(mailbox=mailbox, raw=raw_mail(), now=T0)
    ticket = Ticket.objects.get()
    services.solve_ticket(ticket_id=ticket.pk, actor=alice, now=at(1))
    record = inbound.process_raw(mailbox=mailbox, raw=_reply_raw(ticket), now=at(2))
    assert record is not None and record.outcome == Outcome.REPLIED
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert TimelineEntry.objects.get(pk=record.entry_id).body == "收到，谢谢。"


def test_a_ticket_number_of_someone_elses_ticket_opens_a_new_ticket(mailbox: Mailbox, team: Team) -> None:
    other = services.create_ticket(actor=SYSTEM, team=team, subject="Theirs", customer=CustomerFactory(email="x@example.com"), now=T0)
    record = inbound.process_raw(mailbox=mailbox, raw=_reply_raw(other), now=at(1))
    assert record is not None and record.outcome == Outcome.TICKET_CREATED and record.ticket_id != other.pk
    assert not TimelineEntry.objects.filter(ticket=other, kind="public_reply").exists()


def test_a_closed_ticket_is_not_written_to_a_new_one_opens(mailbox: Mailbox, alice: AgentProfile) -> None:
    inbound.process_raw(mailbox=mailbox, raw=raw_mail(), now=T0)
    ticket = Ticket.objects.get()
    services.close_ticket(ticket_id=ticket.pk, actor=alice, now=at(1))
    record = inbound.process_raw(mailbox=mailbox, raw=_reply_raw(ticket), now=at(2))
    assert record is not None and record.outcome == Outcome.TICKET_CREATED and record.ticket_id != ticket.pk


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "junk"},
        {"X-Autoreply": "yes"},
        {"X-Auto-Response-Suppress": "OOF"},
        {"Return-Path": "<>"},
    ],
)
def test_auto_replies_never_open_tickets_nor_reply(mailbox: Mailbox, headers: dict[str, str]) -> None:
    inbound.process_raw(mailbox=mailbox, raw=raw_mail(), now=T0)
    ticket = Ticket.objects.get()
    record = inbound.process_raw(mailbox=mailbox, raw=_reply_raw(ticket, headers=headers), now=at(1))
    assert record is not None and record.outcome == Outcome.AUTOMATED and record.ticket_id is None
    assert Ticket.objects.count() == 1
    assert not TimelineEntry.objects.filter(kind="public_reply").exists()


def test_a_delivery_status_report_is_a_bounce(mailbox: Mailbox) -> None:
    report = EmailMessage()
    report["From"] = "Mail Delivery System <mailer@mx.example>"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = "<bounce@mx.example>"
    report.set_content("The mail could not be delivered.")
    report.add_attachment("Reporting-MTA: dns; mx.example\n", subtype="plain")
    report.replace_header(
        "Content-Type", report["Content-Type"].replace("multipart/mixed", "multipart/report; report-type=delivery-status")
    )
    record = inbound.process_raw(mailbox=mailbox, raw=report.as_bytes(), now=T0)
    assert record is not None and record.outcome == Outcome.AUTOMATED
    assert not Ticket.objects.exists()


def test_mail_from_one_of_our_own_mailboxes_is_not_imported(mailbox: Mailbox) -> None:
    record = inbound.process_raw(mailbox=mailbox, raw=raw_mail(sender="Shop help <HELP@shop.example>"), now=T0)
    assert record is not None and record.outcome == Outcome.OWN
    assert not Ticket.objects.exists()


def test_our_own_sent_message_coming_back_is_ignored(mailbox: Mailbox) -> None:
    MailMessage.objects.create(message_id="sent@shop.example", direction="out", outcome=Outcome.OUTGOING, created_at=T0)
    assert inbound.process_raw(mailbox=mailbox, raw=raw_mail(message_id="<sent@shop.example>"), now=at(1)) is None
    assert not Ticket.objects.exists()


def test_attachments_go_through_the_upload_checks(mailbox: Mailbox) -> None:
    message = EmailMessage()
    message["From"] = "Li <li@example.com>"
    message["Subject"] = "Broken screen"
    message["Message-ID"] = "<att@example.com>"
    message.set_content("Photo attached.")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    message.add_attachment(png, maintype="image", subtype="png", filename="屏幕.png")
    message.add_attachment(b"MZ\x90\x00 evil", maintype="application", subtype="pdf", filename="invoice.pdf.exe")
    message.add_attachment(b"<html><script>alert(1)</script></html>", maintype="text", subtype="html", filename="page.html")
    record = inbound.process_raw(mailbox=mailbox, raw=message.as_bytes(), now=T0)
    assert record is not None and record.outcome == Outcome.TICKET_CREATED
    ticket = Ticket.objects.get()
    assert ticket.description == "Photo attached."
    files = list(ticket.attachments.values_list("filename", "content_type"))
    assert files == [("屏幕.png", "image/png")]
    note = TimelineEntry.objects.get(ticket=ticket, kind="internal_note")
    assert "invoice.pdf.exe" in note.body and "page.html" in note.body


def test_an_oversized_mail_is_recorded_not_read(mailbox: Mailbox, settings: Any) -> None:
    settings.CC_MAIL_MAX_BYTES = 1000
    record = inbound.process_raw(mailbox=mailbox, raw=raw_mail(body="大" * 2000), now=T0)
    assert record is not None and record.outcome == Outcome.TOO_LARGE
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("raw", [b"", b"\r\n\r\n", b"From: nobody\r\n\r\nno address", b"\xff\xfe\x00garbage"])
def test_unreadable_mail_is_recorded_as_failed_without_raising(mailbox: Mailbox, raw: bytes) -> None:
    record = inbound.process_raw(mailbox=mailbox, raw=raw, now=T0)
    assert record is not None and record.outcome == Outcome.FAILED
    assert not Ticket.objects.exists()


def test_a_subject_too_long_or_missing_still_makes_a_ticket(mailbox: Mailbox) -> None:
    inbound.process_raw(mailbox=mailbox, raw=raw_mail(subject="长" * 500), now=T0)
    inbound.process_raw(mailbox=mailbox, raw=raw_mail(subject="", message_id="<m2@example.com>"), now=at(1))
    subjects = sorted(len(s) for s in Ticket.objects.values_list("subject", flat=True))
    assert subjects == [len("(no subject)"), 200]


def test_a_message_that_fails_inside_the_desk_is_marked_and_the_next_one_works(mailbox: Mailbox, monkeypatch: Any) -> None:
    def broken(**kwargs: Any) -> Ticket:
        raise RuntimeError("desk down")

    monkeypatch.setattr(inbound.services, "create_ticket", broken)
    record = inbound.process_raw(mailbox=mailbox, raw=raw_mail(), now=T0)
    assert record is not None and record.outcome == Outcome.FAILED and "desk down" in record.reason
    monkeypatch.undo()
    assert inbound.process_raw(mailbox=mailbox, raw=raw_mail(message_id="<m2@example.com>"), now=at(1)) is not None
    assert Ticket.objects.count() == 1


def test_a_reply_from_the_address_of_a_duplicate_customer_record_still_lands_on_the_ticket(mailbox: Mailbox, team: Team) -> None:
    typed_in = CustomerFactory(name="Wang (by phone)", email="wang@example.com")  # an agent's record, no identity
    ticket = services.create_ticket(actor=SYSTEM, team=team, subject="Meter", customer=typed_in, now=T0)
    other = CustomerFactory(name="Wang", email="")
    CustomerIdentity.objects.create(customer=other, kind="email", value="wang@example.com")
    record = inbound.process_raw(mailbox=mailbox, raw=_reply_raw(ticket), now=at(1))
    assert record is not None and record.outcome == Outcome.REPLIED and record.ticket_id == ticket.pk
    assert TimelineEntry.objects.get(pk=record.entry_id).author_customer_id == typed_in.pk


def test_a_bounce_of_our_reply_tells_the_agents_on_the_ticket(mailbox: Mailbox, alice: AgentProfile) -> None:
    from tickets.mail import outbound

    inbound.process_raw(mailbox=mailbox, raw=raw_mail(), now=T0)
    ticket = Ticket.objects.get()
    entry = services.reply(ticket_id=ticket.pk, actor=alice, body="已发货", now=at(1))
    sent = outbound.enqueue_reply(entry_id=entry.pk, now=at(1))
    assert sent is not None
    report = EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example>"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = "<dsn-1@mx.example>"
    report.set_content("This is the mail system at host mx.example. I'm sorry to have to inform you ...")
    report.add_attachment(
        "Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; wang@example.com\nAction: failed\n"
        "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <wang@example.com>: Recipient address rejected\n",
        subtype="plain",
    )
    report.add_attachment(f"Message-ID: <{sent.message_id}>\nSubject: Re: 订单问题\n", subtype="plain")
    record = inbound.process_raw(mailbox=mailbox, raw=report.as_bytes(), now=at(2))
    assert record is not None and record.outcome == Outcome.AUTOMATED and record.reason == "bounce"
    note = TimelineEntry.objects.filter(ticket=ticket, kind="internal_note").last()
    assert note is not None and "wang@example.com" in note.body and "5.1.1" in note.body and "Recipient address rejected" in note.body
    assert TimelineEntry.objects.filter(ticket=ticket, kind="public_reply").count() == 1
    assert Ticket.objects.count() == 1


def test_an_out_of_office_reply_adds_nothing_to_the_ticket(mailbox: Mailbox, alice: AgentProfile) -> None:
    inbound.process_raw(mailbox=mailbox, raw=raw_mail(), now=T0)
    ticket = Ticket.objects.get()
    before = TimelineEntry.objects.filter(ticket=ticket).count()
    raw = raw_mail(
        subject=f"自动回复: {ticket.subject} [{ticket.number}]", message_id="<oof@x>", headers={"Auto-Submitted": "auto-replied"}
    )
    inbound.process_raw(mailbox=mailbox, raw=raw, now=at(1))
    assert TimelineEntry.objects.filter(ticket=ticket).count() == before


def test_a_postfix_style_delivery_status_notification_is_read(mailbox: Mailbox, alice: AgentProfile) -> None:
    from tickets.mail import outbound

    inbound.process_raw(mailbox=mailbox, raw=raw_mail(), now=T0)
    ticket = Ticket.objects.get()
    entry = services.reply(ticket_id=ticket.pk, actor=alice, body="已发货", now=at(1))
    sent = outbound.enqueue_reply(entry_id=entry.pk, now=at(1))
    assert sent is not None
    raw = (
        "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example (Mail Delivery System)\r\nTo: help@shop.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <20260302.dsn@mx.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
        "Final-Recipient: rfc822; wang@example.com\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        "Diagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{sent.message_id}>\r\nSubject: Re: x\r\n\r\n--B--\r\n"
    ).encode()
    record = inbound.process_raw(mailbox=mailbox, raw=raw, now=at(2))
    assert record is not None and record.outcome == Outcome.AUTOMATED and record.ticket_id == ticket.pk
    note = TimelineEntry.objects.filter(ticket=ticket, kind="internal_note").last()
    assert note is not None and "5.2.2" in note.body and "mailbox full" in note.body
