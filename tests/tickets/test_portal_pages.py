"""Portal pages: a customer sees their own tickets' public side only, works them (reply, attach,
reopen, urge, new ticket), and never sees internal notes or another customer's anything."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import ArticleFactory, CustomerFactory
from tests.tickets.conftest import at
from tests.tickets.portal_helpers import SECRET, own_cache, signed_in, text_of
from tickets import services
from tickets.access import SYSTEM
from tickets.models import Source, Status, Ticket, TicketAttachment, TimelineEntry, Urge

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _portal(settings: Any, team: Any) -> Any:
    settings.CC_WEBFORM_TEAMS = [team.slug]
    own_cache(settings)
    yield


@pytest.fixture
def portal(client: Client, customer: Any) -> Client:
    return signed_in(client, customer)


@pytest.fixture
def noted(make_ticket: Any, alice: Any, customer: Any) -> Ticket:
    """A ticket with a public reply, an internal note (with a file), a hidden field value and the customer's own file."""
    ticket = make_ticket(subject="Leaking water meter")
    services.reply(ticket_id=ticket.pk, actor=alice, body="We will send a plumber.", now=at(1))
    services.add_note(
        ticket_id=ticket.pk,
        actor=alice,
        body=SECRET,
        now=at(2),
        attachments=[services.AttachmentUpload(f"{SECRET}.txt", SECRET.encode(), "text/plain")],
    )
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(3), category=SECRET, tags=["vip"])
    services.reply(
        ticket_id=ticket.pk,
        actor=customer,
        body="Here is a photo",
        now=at(4),
        attachments=[services.AttachmentUpload("meter.png", PNG, "image/png")],
    )
    return ticket


@pytest.fixture
def strangers_ticket(make_ticket: Any, alice: Any) -> Ticket:
    ticket = make_ticket(subject="Someone else's meter", customer=CustomerFactory(email="li@example.com"))
    services.reply(
        ticket_id=ticket.pk,
        actor=alice,
        body="Reply to Li",
        now=at(1),
        attachments=[services.AttachmentUpload("li.png", PNG, "image/png")],
    )
    return ticket


def test_my_tickets_lists_number_subject_and_status(portal: Client, noted: Ticket, strangers_ticket: Ticket) -> None:
    page = text_of(portal.get("/portal/tickets/"))
    assert noted.number in page and "Leaking water meter" in page and ">open<" in page
    assert strangers_ticket.number not in page and "Someone else" not in page


def test_the_list_searches_words_and_numbers_and_pages(portal: Client, make_ticket: Any) -> None:
    for n in range(23):
        make_ticket(subject=f"Invoice question {n}", now=at(n))
    other = make_ticket(subject="Broken pipe", now=at(30))
    first = text_of(portal.get("/portal/tickets/"))
    assert first.count('data-testid="ticket-row"') == 20 and 'rel="next"' in first
    second = text_of(portal.get("/portal/tickets/?page=2"))
    assert second.count('data-testid="ticket-row"') == 4 and 'rel="prev"' in second
    found = text_of(portal.get("/portal/tickets/?q=pipe"))
    assert found.count('data-testid="ticket-row"') == 1 and other.number in found
    assert other.number in text_of(portal.get(f"/portal/tickets/?q={other.number.lower()}"))


def test_a_ticket_shows_its_public_replies_and_files(portal: Client, noted: Ticket) -> None:
    page = text_of(portal.get(f"/portal/tickets/{noted.number}/"))
    assert "We will send a plumber." in page and "Here is a photo" in page and "meter.png" in page
    assert page.count('data-testid="entry"') == 2


def test_no_portal_page_or_hint_shows_an_internal_note_or_its_file(portal: Client, noted: Ticket, customer: Any) -> None:
    services.solve_ticket(ticket_id=noted.pk, actor=SYSTEM, now=at(5))
    note_file = TicketAttachment.objects.get(entry__kind=TimelineEntry.Kind.INTERNAL_NOTE)
    searches = ["NOTE-ONLY-7f3a", "内部机密"]
    pages = [
        portal.get("/portal/tickets/"),
        *[portal.get("/portal/tickets/", {"q": q}) for q in searches],
        portal.get(f"/portal/tickets/{noted.number}/"),
        portal.get("/portal/tickets/new/"),
        portal.get("/portal/help/"),
        *[portal.get("/portal/help/", {"q": q}) for q in searches],
        portal.get("/support/hints", {"q": "NOTE-ONLY-7f3a 内部机密"}),
        portal.get("/support/hints", {"q": "Leaking water meter"}),
    ]
    for response in pages:
        assert response.status_code == 200
        body = text_of(response)
        for q in searches:  # the search box (and the language switch's return address) show what was typed
            body = body.replace(f'value="{q}"', "").replace(f"?q={quote(q)}", "")
        assert "NOTE-ONLY-7f3a" not in body and "内部机密" not in body and "vip" not in body
    assert portal.get(f"/portal/attachments/{note_file.pk}/").status_code == 404
    # The hint for the subject does find the ticket itself, by its public words:
    assert noted.number in text_of(pages[-1])


def test_another_customers_ticket_and_files_read_as_not_found(portal: Client, strangers_ticket: Ticket) -> None:
    number = strangers_ticket.number
    file = TicketAttachment.objects.get(ticket=strangers_ticket)
    assert portal.get(f"/portal/tickets/{number}/").status_code == 404
    assert portal.get("/portal/tickets/T-999999/").status_code == 404
    assert portal.post(f"/portal/tickets/{number}/reply/", {"body": "hijack"}).status_code == 404
    assert portal.post(f"/portal/tickets/{number}/urge/").status_code == 404
    assert portal.post(f"/portal/tickets/{number}/reopen/").status_code == 404
    assert portal.get(f"/portal/attachments/{file.pk}/").status_code == 404
    assert not TimelineEntry.objects.filter(body="hijack").exists()
    assert not Urge.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, noted: Ticket) -> None:
    for path in ("/portal/tickets/", f"/portal/tickets/{noted.number}/", "/portal/tickets/new/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/portal/?next=")
    assert client.post(f"/portal/tickets/{noted.number}/reply/", {"body": "x"}).status_code == 302
    assert not TimelineEntry.objects.filter(body="x").exists()


def test_a_customer_replies_with_an_attachment(portal: Client, make_ticket: Any, customer: Any) -> None:
    ticket = make_ticket()
    upload = SimpleUploadedFile("reading.png", PNG, content_type="text/html")
    response = portal.post(f"/portal/tickets/{ticket.number}/reply/", {"body": "My reading", "attachment": upload})
    assert response.status_code == 302
    entry = TimelineEntry.objects.get(ticket=ticket, kind=TimelineEntry.Kind.PUBLIC_REPLY)
    assert entry.author_customer_id == customer.pk and entry.body == "My reading"
    stored = entry.attachments.get()
    assert stored.filename == "reading.png" and stored.content_type == "image/png"  # from the bytes, not the claim
    assert "Your reply was sent." in text_of(portal.get(response["Location"]))


def test_a_downloaded_attachment_is_a_download_that_is_not_sniffed(portal: Client, noted: Ticket) -> None:
    file = TicketAttachment.objects.get(filename="meter.png")
    response = portal.get(f"/portal/attachments/{file.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;") and "meter.png" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG


def test_an_html_file_is_refused_with_a_field_error(portal: Client, make_ticket: Any) -> None:
    ticket = make_ticket()
    upload = SimpleUploadedFile("page.txt", b"<html><script>alert(1)</script></html>", content_type="text/plain")
    response = portal.post(f"/portal/tickets/{ticket.number}/reply/", {"body": "see file", "attachment": upload})
    assert response.status_code == 400
    assert "This type of file is not accepted." in text_of(response)
    assert not TimelineEntry.objects.filter(ticket=ticket, kind=TimelineEntry.Kind.PUBLIC_REPLY).exists()


def test_an_empty_reply_shows_a_field_error(portal: Client, make_ticket: Any) -> None:
    ticket = make_ticket()
    response = portal.post(f"/portal/tickets/{ticket.number}/reply/", {"body": ""})
    assert response.status_code == 400 and 'data-testid="error-body"' in text_of(response)


def test_a_customer_reopens_a_solved_ticket(portal: Client, make_ticket: Any) -> None:
    ticket = make_ticket()
    services.solve_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=at(1))
    assert 'data-testid="reopen"' in text_of(portal.get(f"/portal/tickets/{ticket.number}/"))
    portal.post(f"/portal/tickets/{ticket.number}/reopen/")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_an_open_ticket_cannot_be_reopened_and_says_so(portal: Client, make_ticket: Any) -> None:
    ticket = make_ticket()
    response = portal.post(f"/portal/tickets/{ticket.number}/reopen/", follow=True)
    assert "Only a solved ticket can be reopened." in text_of(response)


def test_a_customer_urges_once_and_is_told_to_wait_the_second_time(portal: Client, make_ticket: Any, customer: Any) -> None:
    ticket = make_ticket()
    first = portal.post(f"/portal/tickets/{ticket.number}/urge/", follow=True)
    assert "We told the team you are waiting." in text_of(first)
    second = portal.post(f"/portal/tickets/{ticket.number}/urge/", follow=True)
    assert "You can urge it again in" in text_of(second)
    assert Urge.objects.filter(ticket=ticket, by_customer=customer).count() == 1


def test_a_closed_ticket_takes_no_reply(portal: Client, make_ticket: Any) -> None:
    ticket = make_ticket()
    services.close_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=at(1))
    page = text_of(portal.get(f"/portal/tickets/{ticket.number}/"))
    assert 'data-testid="reply-form"' not in page
    response = portal.post(f"/portal/tickets/{ticket.number}/reply/", {"body": "again"}, follow=True)
    assert not TimelineEntry.objects.filter(body="again").exists()
    assert 'data-testid="flash"' in text_of(response)


def test_a_merged_ticket_shows_the_ticket_it_was_merged_into(portal: Client, make_ticket: Any, alice: Any) -> None:
    survivor, merged = make_ticket(subject="Survivor"), make_ticket(subject="Merged away")
    services.merge_tickets(ticket_ids=[merged.pk], into_id=survivor.pk, actor=alice, now=at(1))
    page = text_of(portal.get(f"/portal/tickets/{merged.number}/"))
    assert "Survivor" in page and f'data-number="{survivor.number}"' in page
    assert f"Ticket {merged.number} was merged into this one" in page


def test_a_customer_opens_a_ticket_from_the_portal(portal: Client, customer: Any, team: Any) -> None:
    upload = SimpleUploadedFile("bill.png", PNG)
    response = portal.post(
        "/portal/tickets/new/",
        {"team": team.pk, "subject": "Bill twice", "description": "I was billed twice.", "attachment": upload},
    )
    ticket = Ticket.objects.get(subject="Bill twice")
    assert response.status_code == 302 and response["Location"] == f"/portal/tickets/{ticket.number}/"
    assert (ticket.source, ticket.customer_id, ticket.team_id, ticket.description) == (
        Source.PORTAL,
        customer.pk,
        team.pk,
        "I was billed twice.",
    )
    assert TicketAttachment.objects.get(ticket=ticket).entry.kind == TimelineEntry.Kind.PUBLIC_REPLY  # type: ignore[union-attr]


def test_the_portal_opens_no_ticket_when_no_team_takes_requests(portal: Client, settings: Any) -> None:
    settings.CC_WEBFORM_TEAMS = []
    assert portal.get("/portal/tickets/new/").status_code == 404
    assert 'data-testid="new-ticket"' not in text_of(portal.get("/portal/tickets/"))


def test_every_post_needs_the_csrf_token(customer: Any, make_ticket: Any) -> None:
    ticket = make_ticket()
    strict = signed_in(Client(enforce_csrf_checks=True), customer)
    for path, data in [
        (f"/portal/tickets/{ticket.number}/reply/", {"body": "no token"}),
        (f"/portal/tickets/{ticket.number}/urge/", {}),
        (f"/portal/tickets/{ticket.number}/reopen/", {}),
        ("/portal/tickets/new/", {"subject": "x", "description": "y"}),
        ("/portal/sign-out/", {}),
        ("/portal/", {"email": "wang@example.com"}),
        ("/portal/sign-in/abc/", {}),
    ]:
        assert strict.post(path, data).status_code == 403, path
    assert not TimelineEntry.objects.filter(body="no token").exists()


def test_hostile_html_in_a_subject_and_a_reply_is_shown_as_text(portal: Client, make_ticket: Any, alice: Any) -> None:
    ticket = make_ticket(subject='<script>alert("s")</script>', description="<img src=x onerror=alert(1)>")
    services.reply(ticket_id=ticket.pk, actor=alice, body="<b>bold</b><script>alert(2)</script>", now=at(1))
    for path in ("/portal/tickets/", f"/portal/tickets/{ticket.number}/"):
        page = text_of(portal.get(path))
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>bold" not in page
        assert "&lt;script&gt;" in page


def test_portal_pages_carry_a_strict_content_security_policy(portal: Client, client: Client, noted: Ticket) -> None:
    for path in ("/portal/tickets/", f"/portal/tickets/{noted.number}/", "/portal/help/"):
        response = portal.get(path)
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert not re.search(r"<script(?![^>]*\bsrc=)", text_of(response)), "no inline script"


def test_pages_follow_the_language_of_the_request(portal: Client, noted: Ticket) -> None:
    portal.cookies["django_language"] = "zh-hans"
    page = text_of(portal.get("/portal/tickets/"))
    assert "我的工单" in page and 'lang="zh-hans"' in page


def test_the_help_page_shows_public_articles_only_with_their_markup_cleaned(client: Client, db: Any) -> None:
    ArticleFactory(
        question="How do I read my water meter?", answer='<p>Lift the lid.</p><script>alert(1)</script><a href="javascript:x">x</a>'
    )
    ArticleFactory(question="Internal pricing rules", audience="internal")
    ArticleFactory(question="Draft about meters", status="draft")
    page = text_of(client.get("/portal/help/"))
    assert "How do I read my water meter?" in page and "<p>Lift the lid.</p>" in page
    assert "<script>alert" not in page and "javascript:" not in page
    assert "Internal pricing" not in page and "Draft about" not in page


def test_the_list_costs_the_same_queries_for_3_and_30_tickets(portal: Client, make_ticket: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert portal.get("/portal/tickets/").status_code == 200
        return len(queries)

    for n in range(3):
        make_ticket(subject=f"Few {n}")
    few = cost()
    for n in range(27):
        make_ticket(subject=f"Many {n}")
    assert cost() == few


def test_a_ticket_page_costs_the_same_queries_for_few_and_many_replies(portal: Client, make_ticket: Any, alice: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = make_ticket()

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert portal.get(f"/portal/tickets/{ticket.number}/").status_code == 200
        return len(queries)

    services.reply(
        ticket_id=ticket.pk, actor=alice, body="one", now=at(1), attachments=[services.AttachmentUpload("a.png", PNG, "image/png")]
    )
    few = cost()
    for n in range(10):
        services.reply(
            ticket_id=ticket.pk,
            actor=alice,
            body=f"r{n}",
            now=at(2 + n),
            attachments=[services.AttachmentUpload("a.png", PNG, "image/png")],
        )
    assert cost() == few


def test_a_dead_link_says_so_in_chinese(client: Client, db: Any) -> None:
    client.cookies["django_language"] = "zh-hans"
    assert "此登录链接已失效，请重新申请。" in text_of(client.post("/portal/sign-in/nope/"))


def test_a_file_gone_from_storage_is_not_found(portal: Client, noted: Ticket) -> None:
    file = TicketAttachment.objects.get(filename="meter.png")
    file.file.delete(save=False)
    assert portal.get(f"/portal/attachments/{file.pk}/").status_code == 404


def test_an_oversized_upload_is_refused_before_its_body_is_read(portal: Client, make_ticket: Any, settings: Any) -> None:
    settings.CC_ATTACHMENT_MAX_BYTES = 1024
    ticket = make_ticket()
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (200 * 1024))
    response = portal.post(f"/portal/tickets/{ticket.number}/reply/", {"body": "big", "attachment": big})
    assert response.status_code == 413
    assert not TimelineEntry.objects.filter(body="big").exists()
