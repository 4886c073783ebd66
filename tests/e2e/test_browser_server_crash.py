"""Browser end-to-end: the server is SIGKILLed mid-conversation and restarted on the same port.

Both pages must notice, keep what is typed meanwhile, reconnect by themselves and end up with
the same transcript as the database: every message exactly once, in seq order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.servers import stored_messages
from tests.e2e.ui import assert_same_transcript, visitor_and_agent
from tests.liveserver import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def test_both_pages_reconnect_by_themselves_after_a_sigkill_and_deliver_what_was_typed_while_down(
    own_server: LiveServer, open_page: Callable[..., Any], snapshot: Callable[[Any, str], None]
) -> None:
    server = own_server
    visitor, agent = visitor_and_agent(server, open_page, name="Kai Crash", first_message="my parcel is late")
    agent.send("sorry to hear that, checking")
    visitor.wait_for_body("sorry to hear that, checking")
    conversation_id = agent.conversation_id()

    server.kill()
    expect(visitor.page.get_by_test_id("cc-panel")).not_to_have_attribute("data-connection", "online")
    expect(agent.page.get_by_test_id("connection-state")).not_to_have_attribute("data-state", "online")
    visitor.send("typed while the server was down (1)")
    agent.send("agent typed while the server was down")
    visitor.send("typed while the server was down (2)")
    unsent = [m for m in visitor.messages() if m["seq"] is None]
    assert [m["body"] for m in unsent] == ["typed while the server was down (1)", "typed while the server was down (2)"]
    assert agent.pending() == 1
    snapshot(visitor.page, "visitor-while-down")
    snapshot(agent.page, "agent-while-down")

    server.start()
    visitor.wait_online(timeout=60)
    agent.wait_online(timeout=60)
    for body in ("typed while the server was down (1)", "typed while the server was down (2)", "agent typed while the server was down"):
        visitor.wait_for_body(body, timeout=30)
        agent.wait_for_body(body, timeout=30)
    agent.send("back online")
    visitor.wait_for_body("back online")
    visitor.send("great, thanks")
    agent.wait_for_body("great, thanks")

    bodies = [
        "my parcel is late",
        "sorry to hear that, checking",
        "typed while the server was down (1)",
        "agent typed while the server was down",
        "typed while the server was down (2)",
        "back online",
        "great, thanks",
    ]
    shown = assert_same_transcript(visitor, agent, bodies=bodies)
    snapshot(visitor.page, "visitor-after")
    snapshot(agent.page, "agent-after")
    stored = stored_messages(server, conversation_id)
    assert [m["seq"] for m in stored] == shown
    stored_bodies = [m["body"] for m in stored if m["sender_kind"] != "system"]
    assert sorted(stored_bodies) == sorted(bodies), "the database holds each typed message exactly once"
    # Each side's messages are stored in the order that side typed them.
    assert [b for b in stored_bodies if "typed while" in b and "agent" not in b] == [
        "typed while the server was down (1)",
        "typed while the server was down (2)",
    ]
