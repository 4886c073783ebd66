"""Browser end-to-end: a visitor on the sample shop page chats with an agent in the console.

Two browser contexts are two people: the visitor on the shop page (another origin than the
server) and alice in the agent console. One demo server serves the whole module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.servers import printed_demo_banner, shell_json
from tests.e2e.ui import Agent, Visitor, assert_same_transcript, eventually, visitor_and_agent
from tests.liveserver import LiveServer

pytestmark = pytest.mark.e2e

OpenPage = Callable[..., Any]
Snapshot = Callable[[Any, str], None]


@pytest.fixture(scope="module")
def server(live_server: LiveServer) -> LiveServer:
    # Every test here hands alice a conversation; the demo's limit of 5 open chats would make
    # later tests depend on earlier ones resolving theirs.
    shell_json(
        live_server,
        "from contactcenter.core.staff.models import AgentProfile\n"
        "result = AgentProfile.objects.filter(user__username='alice').update(max_concurrent_chats=100)",
    )
    return live_server


def test_the_page_and_the_agent_login_the_demo_prints_let_a_visitor_and_an_agent_chat_both_ways_with_typing_shown(
    server: LiveServer, open_page: OpenPage, snapshot: Snapshot
) -> None:
    banner = printed_demo_banner(server)
    assert urlsplit(banner.shop_url).port != urlsplit(banner.console_url).port, "the shop is a website of another origin"
    _, username, password = next(login for login in banner.logins if login[0] == "agent")

    visitor = Visitor(open_page("visitor"), server)
    visitor.page.goto(banner.shop_url)
    visitor.start_chat(name="Mia Chen")
    visitor.send("Hello, where is my order #1042?")
    visitor.wait_for_body("Hello, where is my order #1042?")
    agent = Agent(open_page("agent"), server, username, password=password).log_in(start_at=banner.console_url)
    agent.take("Mia Chen")
    agent.wait_for_body("Hello, where is my order #1042?")
    # Presence: the visitor's header turns "online" when the agent does.
    expect(visitor.page.get_by_test_id("cc-status")).to_have_attribute("data-online", "false")
    agent.page.get_by_test_id("status-select").select_option("online")
    expect(visitor.page.get_by_test_id("cc-status")).to_have_attribute("data-online", "true")

    agent.type("Let me")
    expect(visitor.page.get_by_test_id("cc-typing")).to_be_visible()
    snapshot(visitor.page, "visitor-sees-agent-typing")
    agent.send("Let me check that for you.")
    visitor.wait_for_body("Let me check that for you.")
    expect(visitor.page.get_by_test_id("cc-typing")).to_be_hidden()

    visitor.type("Thank")
    expect(agent.page.get_by_test_id("typing-indicator")).to_be_visible()
    snapshot(agent.page, "agent-sees-visitor-typing")
    visitor.send("Thank you! 谢谢")
    agent.wait_for_body("Thank you! 谢谢")

    assert_same_transcript(visitor, agent, bodies=["Hello, where is my order #1042?", "Let me check that for you.", "Thank you! 谢谢"])
    assert visitor.transport() == "websocket"
    snapshot(visitor.page, "visitor-end")
    snapshot(agent.page, "agent-end")


def test_reloading_either_page_mid_conversation_loses_nothing_and_duplicates_nothing(server: LiveServer, open_page: OpenPage) -> None:
    visitor, agent = visitor_and_agent(server, open_page, name="Reload Ren", first_message="first from the visitor")
    agent.send("first from the agent")
    visitor.wait_for_body("first from the agent")

    # The visitor presses Enter and reloads at once: the message is in the outbox or already
    # stored; after the reload it shows once either way.
    composer = visitor.page.get_by_test_id("cc-composer")
    composer.fill("sent just before the reload")
    composer.press("Enter")
    visitor.page.reload()
    visitor.open_widget()
    visitor.wait_online()
    visitor.wait_for_body("sent just before the reload")
    agent.wait_for_body("sent just before the reload")
    agent.send("after the visitor's reload")
    visitor.wait_for_body("after the visitor's reload")

    agent.page.reload()
    agent.wait_online()
    agent.wait_for_body("after the visitor's reload")
    visitor.send("after the agent's reload")
    agent.wait_for_body("after the agent's reload")
    agent.send("agent again")
    visitor.wait_for_body("agent again")

    assert_same_transcript(
        visitor,
        agent,
        bodies=[
            "first from the visitor",
            "first from the agent",
            "sent just before the reload",
            "after the visitor's reload",
            "after the agent's reload",
            "agent again",
        ],
    )


HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">Eve'
HOSTILE_VISITOR = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=1> <b>bold?</b>"
HOSTILE_AGENT = '<a href="javascript:window.__pwned=1">click</a><svg onload=window.__pwned=1>'


def test_hostile_html_in_names_and_messages_is_shown_as_text_and_never_runs(
    server: LiveServer, open_page: OpenPage, snapshot: Snapshot
) -> None:
    visitor, agent = visitor_and_agent(server, open_page, name=HOSTILE_NAME, first_message=HOSTILE_VISITOR)
    agent.send(HOSTILE_AGENT)
    visitor.wait_for_body(HOSTILE_AGENT)

    expect(agent.inbox_item(HOSTILE_NAME, box="inbox-mine")).to_have_count(1)
    expect(agent.page.get_by_test_id("conversation-title")).to_contain_text(HOSTILE_NAME)
    expect(agent.page.get_by_test_id("customer-card")).to_contain_text(HOSTILE_NAME)
    assert_same_transcript(visitor, agent, bodies=[HOSTILE_VISITOR, HOSTILE_AGENT])
    snapshot(visitor.page, "visitor")
    snapshot(agent.page, "agent")
    for page in (visitor.page, agent.page):
        # Playwright's CSS engine pierces the widget's shadow root.
        assert page.locator("img[src=x], svg[onload], a[href^=javascript], script:has-text('__pwned')").count() == 0
        assert page.evaluate("() => window.__pwned") is None


@pytest.mark.parametrize("blocked", ["by_the_network", "missing_in_the_browser"])
def test_the_widget_falls_back_to_long_polling_by_itself_when_websockets_are_blocked(
    server: LiveServer, open_page: OpenPage, snapshot: Snapshot, blocked: str
) -> None:
    page = open_page("visitor")
    if blocked == "by_the_network":
        # A proxy that kills WebSocket upgrades: the socket closes before any frame.
        page.route_web_socket(re.compile(r".*/ws/widget/.*"), lambda ws: ws.close())
    else:
        page.add_init_script("delete window.WebSocket;")
    name = f"Polly {blocked}"
    visitor = Visitor(page, server).open_shop()
    visitor.start_chat(name=name)
    assert visitor.transport() == "polling"
    visitor.send("hello over long polling")
    agent = Agent(open_page("agent"), server, "alice").log_in()
    agent.take(name)
    agent.wait_for_body("hello over long polling")
    agent.type("typing")
    expect(page.get_by_test_id("cc-typing")).to_be_visible()
    agent.send("polling works both ways")
    visitor.wait_for_body("polling works both ways")
    visitor.send("great")
    agent.wait_for_body("great")
    assert_same_transcript(visitor, agent, bodies=["hello over long polling", "polling works both ways", "great"])
    eventually(lambda: _assert_equal(visitor.transport(), "polling"))
    snapshot(page, "visitor")


def _assert_equal(actual: Any, wanted: Any) -> None:
    assert actual == wanted, f"{actual!r} != {wanted!r}"
