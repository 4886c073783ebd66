"""Browser end-to-end: on the demo with its sample FAQ, the bot answers a visitor's question in the
widget; the visitor says the answer helped; then types 转人工, and alice is offered the chat with
the bot's part of the transcript and the reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import start_demo
from tests.e2e.ui import Agent, Visitor, eventually
from tests.liveserver import LiveServer

pytestmark = pytest.mark.e2e

OpenPage = Callable[..., Any]
Snapshot = Callable[[Any, str], None]


@pytest.fixture(scope="module")
def faq_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_demo(Path(tmp_path_factory.mktemp("faq-server")), env={"CC_DEMO_FAQ": "1"})
    yield server
    server.stop()


def _bot_bodies(visitor: Visitor) -> list[str]:
    return [m["body"] for m in visitor.messages() if m["sender"] == "bot"]


def test_the_bot_answers_a_faq_question_then_hands_off_on_request_to_an_agent_who_sees_why(
    faq_server: LiveServer, open_page: OpenPage, snapshot: Snapshot
) -> None:
    agent = Agent(open_page("agent"), faq_server, "alice").log_in()
    agent.page.get_by_test_id("status-select").select_option("online")

    visitor = Visitor(open_page("visitor", locale="zh-CN"), faq_server).open_shop()
    visitor.start_chat(name="王小明")
    visitor.send("网速很慢,视频老是卡")
    visitor.wait_for_body("网速很慢,视频老是卡")

    def answered() -> str:
        bodies = _bot_bodies(visitor)
        assert bodies, f"no bot answer yet: {visitor.messages()[-3:]}"
        return bodies[-1]

    answer = eventually(answered, timeout=30)
    assert answer.startswith("请先重启光猫和路由器")
    feedback = visitor.page.get_by_test_id("cc-feedback")
    expect(feedback).to_contain_text("这个回答有帮助吗")
    snapshot(visitor.page, "bot-answers-in-chinese")
    # Nobody is offered a chat the bot is answering.
    expect(agent.page.get_by_test_id("offer-card")).to_have_count(0)

    feedback.get_by_test_id("cc-feedback-yes").click()
    expect(feedback).to_contain_text("感谢您的反馈")

    visitor.send("转人工")
    expect(visitor.page.locator("[data-testid=cc-message][data-event=bot_handoff]")).to_have_count(1, timeout=15_000)
    expect(visitor.page.locator("[data-testid=cc-message][data-event=bot_handoff]")).to_contain_text("正在为您转接人工客服")
    snapshot(visitor.page, "bot-hands-off")

    card = agent.page.get_by_test_id("offer-card")
    expect(card).to_have_count(1, timeout=15_000)
    expect(card.locator(".offer-name")).to_have_text("王小明")
    expect(card.get_by_test_id("offer-note")).to_contain_text("机器人转人工")
    expect(card.get_by_test_id("offer-note")).to_contain_text("转人工")
    snapshot(agent.page, "agent-is-offered-the-handed-off-chat")
    card.get_by_test_id("offer-accept").click()
    expect(agent.page.get_by_test_id("conversation-title")).to_have_text("王小明")

    # The agent sees the whole bot part of the transcript, and the reason as an internal note.
    agent.wait_for_body("网速很慢,视频老是卡")
    agent.wait_for_body(answer)
    agent.wait_for_body("转人工")
    bodies = [m["body"] for m in agent.messages()]
    assert any("机器人转人工" in body and "访客要求转人工" in body for body in bodies), bodies
    snapshot(agent.page, "agent-sees-the-bot-transcript")

    agent.send("您好,我是Alice,我来帮您看看网络。")
    visitor.wait_for_body("您好,我是Alice,我来帮您看看网络。")
    # The person button is gone once a person has the chat.
    expect(visitor.page.get_by_test_id("cc-request-agent")).to_have_count(0)
