"""The widget's rating prompt in a real browser: shown once the agent resolves the chat, sent once, thanked; in Chinese too."""

from __future__ import annotations

import functools

import pytest
from playwright.async_api import Browser, expect

from tests.liveserver import LiveServer
from tests.widget.test_widget_browser import Console, _is_about, alice, chromium, server, shop_page, start_chat, take_chat

pytestmark = pytest.mark.e2e
__all__ = ["alice", "chromium", "server"]  # fixtures used here


async def _resolve(agent: Console, conversation_id: int) -> None:
    agent.taken.remove(conversation_id)  # resolved here, not again at the fixture's end
    await agent.send_frame({"type": "resolve", "conversation_id": conversation_id})
    await agent.expect("resolved", where=functools.partial(_is_about, conversation_id))


async def test_the_visitor_rates_a_resolved_chat_once(chromium: Browser, server: LiveServer, alice: Console) -> None:
    page = await shop_page(chromium, server)
    await start_chat(page, name="Rater", first_message="Where is my parcel?")
    conversation_id = await take_chat(alice, "Rater")
    await expect(page.get_by_test_id("cc-rating")).to_be_hidden()
    await _resolve(alice, conversation_id)
    rating = page.get_by_test_id("cc-rating")
    await expect(rating).to_contain_text("How would you rate this chat?")
    await expect(page.get_by_test_id("cc-rate-send")).to_be_disabled()
    await page.get_by_test_id("cc-rate-4").click()
    await page.get_by_test_id("cc-rate-comment").fill("<b>quick</b> 谢谢")
    await page.get_by_test_id("cc-rate-send").click()
    await expect(page.get_by_test_id("cc-rating-thanks")).to_have_text("Thanks for rating this chat!")
    assert await page.locator("b").count() == 0  # the comment was text, never markup
    await page.reload()
    await page.get_by_test_id("cc-launcher").click()
    await expect(page.get_by_test_id("cc-rating-thanks")).to_be_visible()  # remembered: not asked again


async def test_the_rating_prompt_in_chinese(chromium: Browser, server: LiveServer, alice: Console) -> None:
    page = await shop_page(chromium, server, locale="zh-CN")
    await page.get_by_test_id("cc-launcher").click()
    await page.get_by_test_id("cc-prechat-name").fill("李评分")
    await page.get_by_test_id("cc-prechat-submit").click()
    await page.get_by_test_id("cc-composer").fill("你好")
    await page.keyboard.press("Enter")
    conversation_id = await take_chat(alice, "李评分")
    await _resolve(alice, conversation_id)
    await expect(page.get_by_test_id("cc-rating")).to_contain_text("请为本次服务评分")
    await page.get_by_test_id("cc-rate-5").click()
    await page.get_by_test_id("cc-rate-send").click()
    await expect(page.get_by_test_id("cc-rating-thanks")).to_have_text("感谢您的评价！")
