"""Browser end-to-end: nobody is online, the Sales chat queue's maximum wait passes, and the
visitor's chat becomes a ticket with its transcript; the widget tells the visitor the number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.servers import shell_json
from tests.e2e.ui import Visitor
from tests.liveserver import LiveServer

pytestmark = pytest.mark.e2e

OpenPage = Callable[..., Any]
Snapshot = Callable[[Any, str], None]


def test_a_chat_nobody_answers_in_time_becomes_a_ticket_and_the_visitor_sees_its_number(
    live_server: LiveServer, open_page: OpenPage, snapshot: Snapshot
) -> None:
    shell_json(live_server, "from routing.models import Queue\nresult = Queue.objects.filter(name='Sales chat').update(max_wait_s=3)")
    visitor = Visitor(open_page("visitor", locale="zh-CN"), live_server).open_shop()
    visitor.start_chat(name="陈女士")
    visitor.send("我的订单一直没有发货")
    visitor.wait_for_body("我的订单一直没有发货")

    notice = visitor.page.locator("[data-testid=cc-message][data-event=ticket_created]")
    expect(notice).to_have_count(1, timeout=20_000)
    expect(notice).to_contain_text("已为您创建工单 T-")
    snapshot(visitor.page, "visitor-told-the-ticket-number")

    ticket = shell_json(
        live_server,
        "from tickets.models import Ticket, TimelineEntry\n"
        "t = Ticket.objects.get()\n"
        "result = {'number': t.number, 'subject': t.subject, 'source': t.source, "
        "'transcript': TimelineEntry.objects.get(ticket=t, event='transcript').body}",
    )
    assert ticket["number"] in notice.inner_text()
    assert ticket["subject"] == "我的订单一直没有发货"
    assert ticket["source"] == "chat"
    assert "我的订单一直没有发货" in ticket["transcript"]
