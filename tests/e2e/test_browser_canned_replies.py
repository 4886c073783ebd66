"""Browser end-to-end: an agent types ``::`` in a ticket's composer (and in a chat's), picks a canned reply with the
keys, and the reply goes out with its placeholders filled in for that ticket (or the chat's customer)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import start_demo
from tests.e2e.servers import DEMO_PASSWORD, shell_json
from tests.e2e.ui import visitor_and_agent
from tests.liveserver import LiveServer

pytestmark = pytest.mark.e2e

OpenPage = Callable[..., Any]
Snapshot = Callable[[Any, str], None]


@pytest.fixture(scope="module")
def canned_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_demo(Path(tmp_path_factory.mktemp("canned-server")), env={"CC_DEMO_TICKETS": "1"})
    shell_json(
        server,
        "from django.utils import timezone\n"
        "from tickets.automation.models import CannedReply\n"
        "now = timezone.now()\n"
        "CannedReply.objects.create(title='问候', shortcut='greet', body='您好，${customer.name}！工单 ${ticket.number} 我们已收到。',"
        " created_at=now, updated_at=now)\n"
        "CannedReply.objects.create(title='Goodbye', shortcut='bye', body='Bye from ${agent.name}', created_at=now, updated_at=now)\n"
        "result = CannedReply.objects.count()",
    )
    yield server
    server.stop()


def sign_in(page: Page, server: LiveServer, username: str) -> Page:
    page.goto(f"{server.url}/console/tickets/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{server.url}/console/tickets/**")
    return page


def test_typing_two_colons_in_the_ticket_composer_inserts_a_canned_reply(
    canned_server: LiveServer, open_page: OpenPage, snapshot: Snapshot
) -> None:
    page = sign_in(open_page("lina", locale="zh-CN"), canned_server, "lina")
    subject = "宽带每天晚上掉线"
    facts = shell_json(
        canned_server,
        f"from tickets.models import Ticket\nt = Ticket.objects.get(subject={subject!r})\n"
        "result = {'id': t.pk, 'number': t.number, 'customer': t.customer.name}",
    )
    page.goto(f"{canned_server.url}/console/tickets/{facts['id']}/")
    expect(page.get_by_test_id("ticket-subject")).to_have_text(subject)

    composer = page.get_by_test_id("ticket-composer-input")
    composer.click()
    composer.press_sequentially("谢谢来电。 ::")
    options = page.get_by_test_id("canned-option")
    expect(options).to_have_count(2)
    composer.press_sequentially("gr")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("::greet")
    expect(options.first).to_contain_text(f"您好，{facts['customer']}！工单 {facts['number']}")  # rendered by the server
    snapshot(page, "canned-suggestions")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("canned-list")).to_be_hidden()
    expected = f"谢谢来电。 您好，{facts['customer']}！工单 {facts['number']} 我们已收到。"
    expect(composer).to_have_value(expected)

    # Nothing matches: the list says so, and Esc leaves the text alone.
    composer.press_sequentially(" ::zzz")
    expect(page.get_by_test_id("canned-empty")).to_contain_text("::zzz")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("canned-list")).to_be_hidden()
    expect(composer).to_have_value(expected + " ::zzz")
    composer.fill(expected)

    page.keyboard.press("Control+Enter")
    reply = page.locator("[data-testid=timeline-entry][data-kind=public_reply]", has_text="我们已收到")
    expect(reply).to_have_count(1)
    stored = shell_json(
        canned_server,
        f"from tickets.models import TimelineEntry\nresult = list(TimelineEntry.objects.filter(ticket_id={facts['id']},"
        " kind='public_reply').values_list('body', flat=True))",
    )
    assert expected in stored


def test_in_a_chat_enter_inserts_the_canned_reply_and_the_next_enter_sends_it(canned_server: LiveServer, open_page: OpenPage) -> None:
    shell_json(
        canned_server,
        "from django.utils import timezone\n"
        "from tickets.automation.models import CannedReply\n"
        "now = timezone.now()\n"
        "CannedReply.objects.get_or_create(shortcut='hello', owner=None, team=None, defaults={'title': 'Hello',"
        " 'body': 'Hello ${customer.name}, I am ${agent.name}.', 'created_at': now, 'updated_at': now})\n"
        "result = True",
    )
    visitor, agent = visitor_and_agent(canned_server, open_page, name="Canned Cai", first_message="hi there")
    box = agent.page.get_by_test_id("composer-input")
    box.click()
    box.press_sequentially("::hel", delay=15)
    option = agent.page.get_by_test_id("canned-option")
    expect(option).to_have_count(1)
    expect(option).to_contain_text("Hello Canned Cai, I am")
    agent.page.keyboard.press("Enter")  # inserts; the chat's own Enter (send) does not run
    expect(box).to_have_value(re.compile(r"^Hello Canned Cai, I am .+\.$"))
    assert agent.pending() == 0
    inserted = box.input_value()
    agent.page.keyboard.press("Enter")  # now it sends
    expect(box).to_have_value("")
    visitor.wait_for_body(inserted)
