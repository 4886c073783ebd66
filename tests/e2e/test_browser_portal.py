"""Browser end-to-end: a visitor writes to the Support team through its web form, gets the mail with
the portal link (the server writes mails to files here), signs in, sees the ticket and replies; the
agent's answer and the hints while typing show up too. Desktop and phone widths."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import start_demo
from tests.e2e.servers import shell_json
from tests.e2e.ui import eventually
from tests.liveserver import LiveServer

pytestmark = pytest.mark.e2e

OpenPage = Callable[..., Any]
Snapshot = Callable[[Any, str], None]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
LINK = re.compile(r"https?://\S+/portal/sign-in/[A-Za-z0-9_-]+/")


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="module")
def portal_server(tmp_path_factory: pytest.TempPathFactory, mailbox: Path) -> Iterator[LiveServer]:
    server = start_demo(
        tmp_path_factory.mktemp("server"),
        env={
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mailbox),
            "CC_WEBFORM_TEAMS": "support",
            "CC_DEMO_FAQ": "1",
        },
    )
    yield server
    server.stop()


def _links_mailed_to(mailbox: Path, address: str, *, subject: str = "") -> list[str]:
    links = []
    for path in sorted(mailbox.glob("*.log")):
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw.strip(), policy=email.policy.default)
            if address in str(message["To"]) and subject in str(message["Subject"]):
                body = message.get_body(preferencelist=("plain",))
                links += LINK.findall(body.get_content() if body is not None else "")
    return links


def _write_through_the_form(page: Any, server: LiveServer, *, who: str, address: str, subject: str) -> str:
    page.goto(f"{server.url}/support/support/")
    page.get_by_label("Your name").fill(who)
    page.get_by_label("E-mail address").fill(address)
    page.get_by_label("Subject").press_sequentially(subject, delay=20)
    page.get_by_label("Describe your request").fill("It was charged on the 3rd and again on the 5th.")
    page.get_by_test_id("webform-submit").click()
    number = page.get_by_test_id("webform-number")
    expect(number).to_have_text(re.compile(r"^T-\d{6}$"))
    return str(number.inner_text())


def _sign_in_from_the_mail(page: Any, mailbox: Path, address: str) -> None:
    """With the link of the web form's receipt, which leads to the ticket."""
    link = eventually(lambda: _links_mailed_to(mailbox, address, subject="T-") or _fail("no mail yet"))[-1]
    page.goto(link)
    page.get_by_test_id("redeem-submit").click()


def _fail(why: str) -> list[str]:
    raise AssertionError(why)


def test_a_web_form_request_is_followed_and_answered_in_the_portal(
    portal_server: LiveServer, mailbox: Path, open_page: OpenPage, snapshot: Snapshot
) -> None:
    page = open_page("customer")
    page.goto(f"{portal_server.url}/support/support/")
    page.get_by_label("Subject").press_sequentially("How do I get a refund", delay=30)
    expect(page.get_by_test_id("hint-articles").locator("li").first).to_be_visible(timeout=20_000)
    snapshot(page, "web-form-with-hints")
    number = _write_through_the_form(page, portal_server, who="Zhao Lei", address="zhao@example.com", subject="Charged twice for one order")
    snapshot(page, "web-form-thanks")

    _sign_in_from_the_mail(page, mailbox, "zhao@example.com")
    expect(page.get_by_test_id("ticket-number")).to_have_text(number)
    expect(page.get_by_test_id("ticket-subject")).to_have_text("Charged twice for one order")

    shell_json(
        portal_server,
        "from django.utils import timezone\n"
        "from tickets import services\n"
        "from tickets.models import Ticket\n"
        "from contactcenter.core.staff.models import AgentProfile\n"
        f"t = Ticket.objects.get(number={number!r})\n"
        "agent = AgentProfile.objects.filter(teams=t.team).first()\n"
        "services.add_note(ticket_id=t.pk, actor=agent, body='INTERNAL: customer is on the watch list', now=timezone.now())\n"
        "services.reply(ticket_id=t.pk, actor=agent, body='We refunded the second charge.', now=timezone.now())\n"
        "result = t.pk",
    )
    page.reload()
    expect(page.get_by_test_id("entry-body")).to_have_text(["We refunded the second charge."])
    assert "watch list" not in page.content()

    page.get_by_label("Your reply").fill("Thank you, I see it on my statement.")
    page.get_by_test_id("reply-submit").click()
    expect(page.get_by_test_id("flash")).to_be_visible()
    expect(page.get_by_test_id("entry-body")).to_have_text(["We refunded the second charge.", "Thank you, I see it on my statement."])
    snapshot(page, "portal-ticket-desktop")

    page.get_by_test_id("nav-tickets").click()
    expect(page.get_by_test_id("ticket-row")).to_have_count(1)
    snapshot(page, "portal-list-desktop")

    shell_json(
        portal_server,
        "from django.utils import timezone\n"
        "from tickets import services\n"
        "from tickets.access import SYSTEM\n"
        "from tickets.models import Ticket\n"
        f"t = Ticket.objects.get(number={number!r})\n"
        "services.solve_ticket(ticket_id=t.pk, actor=SYSTEM, now=timezone.now())\n"
        "result = t.pk",
    )
    page.get_by_test_id("new-ticket").click()
    page.get_by_label("Subject").press_sequentially("Charged twice again", delay=30)
    expect(page.get_by_test_id("hint-tickets").locator("a")).to_contain_text([number])
    snapshot(page, "portal-new-ticket-with-own-solved-ticket")
    with page.context.expect_page() as opened:  # hints open in a new tab: the form keeps its text
        page.get_by_test_id("hint-tickets").locator("a").first.click()
    ticket_tab = opened.value
    expect(ticket_tab.get_by_test_id("reopen")).to_be_visible()
    ticket_tab.get_by_test_id("reopen").click()
    expect(ticket_tab.get_by_test_id("urge")).to_be_visible()

    stored = shell_json(
        portal_server,
        "from tickets.models import Ticket\n"
        f"t = Ticket.objects.get(number={number!r})\n"
        "result = {'source': t.source, 'team': t.team.slug, 'customer': t.customer.email, "
        "'replies': list(t.timeline.filter(kind='public_reply').values_list('body', flat=True))}",
    )
    assert stored == {
        "source": "webform",
        "team": "support",
        "customer": "zhao@example.com",
        "replies": ["We refunded the second charge.", "Thank you, I see it on my statement."],
    }


def test_the_portal_works_at_phone_width_in_chinese(
    portal_server: LiveServer, mailbox: Path, open_page: OpenPage, snapshot: Snapshot
) -> None:
    page = open_page("phone", locale="zh-CN", **PHONE)
    page.goto(f"{portal_server.url}/support/support/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("webform")).to_contain_text("请描述您的问题")
    snapshot(page, "web-form-phone")
    # Fields by id: a generic label ("Subject") may take its Chinese from another app's catalog.
    page.locator("#id_name").fill("陈女士")
    page.locator("#id_email").fill("chen@example.com")
    page.locator("#id_subject").fill("我的订单一直没有发货")
    page.locator("#id_description").fill("订单号 20261203，已经一周了。")
    page.get_by_test_id("webform-submit").click()
    number = page.get_by_test_id("webform-number").inner_text()
    snapshot(page, "web-form-thanks-phone")
    page.goto(f"{portal_server.url}/portal/")
    page.locator("#id_email").fill("chen@example.com")
    page.get_by_test_id("sign-in-submit").click()
    expect(page.get_by_test_id("link-sent")).to_be_visible()
    snapshot(page, "link-sent-phone")
    link = eventually(lambda: _links_mailed_to(mailbox, "chen@example.com", subject="登录链接") or _fail("no sign-in mail yet"))[-1]
    page.goto(link)
    snapshot(page, "redeem-phone")
    page.get_by_test_id("redeem-submit").click()
    page.get_by_test_id("ticket-row").click()
    expect(page.get_by_test_id("ticket-number")).to_have_text(number)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    snapshot(page, "portal-ticket-phone")
    page.get_by_test_id("nav-tickets").click()
    expect(page.get_by_test_id("ticket-row")).to_have_count(1)
    snapshot(page, "portal-list-phone")
