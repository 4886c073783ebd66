"""Browser end-to-end: visitors wait in line and see their place and estimated wait change live;
an agent going online is offered the oldest, accepts it in the console, and the line moves.

Nobody in the demo is online until they say so, so the visitors here really wait.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.servers import shell_json
from tests.e2e.ui import Agent, Visitor
from tests.liveserver import LiveServer

pytestmark = pytest.mark.e2e

OpenPage = Callable[..., Any]
Snapshot = Callable[[Any, str], None]


@pytest.fixture(scope="module")
def server(live_server: LiveServer) -> LiveServer:
    # alice takes one chat at a time, so the second visitor waits until she resolves the first;
    # everyone else stays offline (the demo starts all agents offline).
    shell_json(
        live_server,
        "from contactcenter.core.staff.models import AgentProfile\n"
        "AgentProfile.objects.filter(user__username='alice').update(max_concurrent_chats=1)\n"
        "result = list(AgentProfile.objects.exclude(status='offline').values_list('user__username', flat=True))",
    )
    return live_server


def _waiting(visitor: Visitor, name: str, message: str) -> None:
    visitor.open_shop()
    visitor.start_chat(name=name)
    visitor.send(message)
    visitor.wait_for_body(message)


def test_waiting_visitors_see_their_place_and_wait_change_live_as_an_agent_accepts_offers(
    server: LiveServer, open_page: OpenPage, snapshot: Snapshot
) -> None:
    first = Visitor(open_page("first-visitor"), server)
    _waiting(first, "Ann Waits", "Is my parcel lost?")
    first_queue = first.page.get_by_test_id("cc-queue")
    expect(first_queue).to_be_visible()
    expect(first_queue).to_have_attribute("data-position", "1")
    expect(first.page.get_by_test_id("cc-queue-position")).to_have_text("You are next in line")

    second = Visitor(open_page("second-visitor", locale="zh-CN"), server)
    _waiting(second, "Ben 等待", "我的退款到了吗？")
    second_queue = second.page.get_by_test_id("cc-queue")
    expect(second_queue).to_have_attribute("data-position", "2")
    expect(second.page.get_by_test_id("cc-queue-position")).to_contain_text("第 2 位")
    eta_at_two = second.page.get_by_test_id("cc-queue-eta").inner_text()
    assert "预计等待" in eta_at_two
    snapshot(second.page, "second-visitor-waits-second-in-line")

    # alice signs in and goes online: the oldest waiting chat is offered to her.
    agent = Agent(open_page("agent"), server, "alice").log_in()
    agent.page.get_by_test_id("status-select").select_option("online")
    card = agent.page.get_by_test_id("offer-card")
    expect(card).to_have_count(1, timeout=15_000)
    expect(card.locator(".offer-name")).to_have_text("Ann Waits")
    expect(card.get_by_test_id("offer-timer")).to_contain_text("s")
    snapshot(agent.page, "agent-is-offered-the-oldest-chat")
    card.get_by_test_id("offer-accept").click()
    expect(agent.page.get_by_test_id("offers")).to_be_hidden()
    expect(agent.page.get_by_test_id("conversation-title")).to_have_text("Ann Waits")
    agent.wait_for_body("Is my parcel lost?")

    # Ann is served: her place in line goes away; Ben moves up to first, with a shorter wait.
    expect(first_queue).to_be_hidden()
    expect(second_queue).to_have_attribute("data-position", "1")
    expect(second.page.get_by_test_id("cc-queue-position")).to_have_text("下一位就是您")
    expect(second.page.get_by_test_id("cc-queue-eta")).not_to_have_text(eta_at_two)
    snapshot(second.page, "second-visitor-moves-up")
    agent.send("Let me look it up.")
    first.wait_for_body("Let me look it up.")

    # alice resolves Ann's chat: her capacity frees up and Ben's chat is offered and accepted.
    agent.resolve()
    card = agent.page.get_by_test_id("offer-card")
    expect(card).to_have_count(1, timeout=15_000)
    expect(card.locator(".offer-name")).to_have_text("Ben 等待")
    card.get_by_test_id("offer-accept").click()
    expect(agent.page.get_by_test_id("conversation-title")).to_have_text("Ben 等待")
    expect(second_queue).to_be_hidden()
    agent.send("您好，我来帮您查一下。")
    second.wait_for_body("您好，我来帮您查一下。")
    snapshot(agent.page, "agent-serves-the-second")


def test_an_agent_can_decline_an_offer_and_still_grab_the_chat_from_unassigned(server: LiveServer, open_page: OpenPage) -> None:
    visitor = Visitor(open_page("visitor"), server)
    _waiting(visitor, "Dee Clines", "Anyone there?")
    bob = Agent(open_page("bob"), server, "bob").log_in()
    bob.page.get_by_test_id("status-select").select_option("online")
    card = bob.page.get_by_test_id("offer-card").filter(has_text="Dee Clines")
    expect(card).to_have_count(1, timeout=15_000)
    card.get_by_test_id("offer-decline").click()
    # Declined, the chat still waits in line (and is offered again when nobody else can take it).
    expect(visitor.page.get_by_test_id("cc-queue")).to_be_visible()
    bob.take("Dee Clines")
    bob.wait_for_body("Anyone there?")
    expect(visitor.page.get_by_test_id("cc-queue")).to_be_hidden()
