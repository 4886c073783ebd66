"""The widget in a real browser (Debian's chromium): what a visitor sees beyond the main chat flow.

The main flows (chat both ways, reloads, crashes, the polling fallback) are in tests/e2e; these
tests cover the widget's own behaviour: unread badge, pre-chat errors, read receipts, Chinese,
images, refusal on a foreign site, and the phone layout. The agent speaks the console protocol.
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import os
import re
import shutil
import struct
import threading
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.conftest import need
from tests.e2e.peers import AgentPeer
from tests.e2e.servers import agent_sessions, shell_json
from tests.liveserver import LiveServer

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("CC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FOUND = shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(Path(tmp_path_factory.mktemp("widget-browser"))).start()
    yield live
    live.stop()


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    need("chromium", CHROMIUM_FOUND, f"install Debian's chromium ({CHROMIUM})")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def shop_page(browser: Browser, server: LiveServer, **context_args: Any) -> Page:
    context = await browser.new_context(locale=context_args.pop("locale", "en-US"), **context_args)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    await page.goto(server.shop_url)
    await expect(page.get_by_test_id("cc-launcher")).to_be_visible()
    return page


async def start_chat(page: Page, *, name: str, first_message: str) -> None:
    await page.get_by_test_id("cc-launcher").click()
    await page.get_by_test_id("cc-prechat-name").fill(name)
    await page.get_by_test_id("cc-prechat-submit").click()
    await page.get_by_test_id("cc-composer").fill(first_message)
    await page.keyboard.press("Enter")
    await expect(page.locator("[data-testid=cc-message][data-seq='1']")).to_be_visible()


class Console(AgentPeer):
    """An agent on the console protocol that remembers which conversations it took."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.taken: list[int] = []

    async def resolve_taken(self) -> None:
        for conversation_id in self.taken:
            await self.send_frame({"type": "resolve", "conversation_id": conversation_id})
            await self.expect("resolved", where=functools.partial(_is_about, conversation_id))


def _is_about(conversation_id: int, frame: dict[str, Any]) -> bool:
    return bool(frame.get("conversation_id") == conversation_id)


@pytest.fixture
async def alice(server: LiveServer) -> AsyncIterator[Console]:
    session = agent_sessions(server, ["alice"])["alice"]
    agent = await Console(name="alice", server=server, session_key=session).open()
    yield agent
    await agent.resolve_taken()  # keeps the next test's take under alice's limit of concurrent chats
    await agent.close()


async def take_chat(agent: Console, customer_name: str) -> int:
    """Take and join the conversation the visitor of this name started (announced to the team live)."""
    announced = await agent.expect("conversation", where=lambda f: f["conversation"]["customer"]["name"] == customer_name)
    conversation_id = int(announced["conversation"]["id"])
    assert (await agent.take(conversation_id))["type"] == "taken"
    agent.taken.append(conversation_id)
    await agent.join(conversation_id)
    return conversation_id


async def test_unread_badge_counts_agent_messages_while_the_panel_is_closed(chromium: Browser, server: LiveServer, alice: Console) -> None:
    page = await shop_page(chromium, server)
    await start_chat(page, name="Badge", first_message="hello")
    await take_chat(alice, "Badge")
    await page.get_by_test_id("cc-close").click()
    await alice.send_message("first reply")
    await alice.send_message("second reply")
    await expect(page.get_by_test_id("cc-unread")).to_have_text("2")


async def test_opening_the_panel_clears_the_badge_and_tells_the_agent(chromium: Browser, server: LiveServer, alice: Console) -> None:
    page = await shop_page(chromium, server)
    await start_chat(page, name="Reader", first_message="hello")
    await take_chat(alice, "Reader")
    await page.get_by_test_id("cc-close").click()
    await alice.send_message("are you there?")
    await expect(page.get_by_test_id("cc-unread")).to_have_text("1")
    await page.get_by_test_id("cc-launcher").click()
    await expect(page.get_by_test_id("cc-unread")).to_be_hidden()
    read = await alice.expect("read", where=lambda f: f.get("by") == "visitor" and f.get("seq") == 3)
    assert read["seq"] == 3


async def test_unread_badge_survives_a_reload(chromium: Browser, server: LiveServer, alice: Console) -> None:
    page = await shop_page(chromium, server)
    await start_chat(page, name="Reload", first_message="hello")
    await take_chat(alice, "Reload")
    await page.get_by_test_id("cc-close").click()
    await alice.send_message("unread before the reload")
    await expect(page.get_by_test_id("cc-unread")).to_have_text("1")
    await page.reload()
    await expect(page.get_by_test_id("cc-unread")).to_have_text("1")


async def test_prechat_form_names_the_missing_field_and_starts_once_filled(chromium: Browser, server: LiveServer) -> None:
    page = await shop_page(chromium, server)
    await page.get_by_test_id("cc-launcher").click()
    await page.get_by_test_id("cc-prechat-email").fill("not-an-address")
    await page.get_by_test_id("cc-prechat-email").press("Enter")
    await expect(page.get_by_test_id("cc-prechat-error-name")).to_have_text("Please fill this in.")
    await expect(page.get_by_test_id("cc-prechat-error-email")).to_have_text("Please enter a valid e-mail address.")
    await expect(page.get_by_test_id("cc-composer")).to_be_hidden()
    await page.get_by_test_id("cc-prechat-name").fill("Fixed")
    await page.get_by_test_id("cc-prechat-email").fill("fixed@example.com")
    await page.get_by_test_id("cc-prechat-submit").click()
    await expect(page.get_by_test_id("cc-prechat")).to_have_count(0)
    await expect(page.get_by_test_id("cc-composer")).to_be_visible()


async def test_seen_appears_under_the_visitors_message_once_the_agent_has_read_it(
    chromium: Browser, server: LiveServer, alice: Console
) -> None:
    page = await shop_page(chromium, server)
    await start_chat(page, name="Seen", first_message="did you get this?")
    await expect(page.get_by_test_id("cc-seen")).to_have_count(0)
    conversation_id = await take_chat(alice, "Seen")
    await alice.send_frame({"type": "read", "conversation_id": conversation_id, "seq": 1})
    await expect(page.get_by_test_id("cc-seen")).to_have_attribute("data-seq", "1")


async def test_agent_typing_is_shown_with_the_agents_name(chromium: Browser, server: LiveServer, alice: Console) -> None:
    page = await shop_page(chromium, server)
    await start_chat(page, name="Typing", first_message="hi")
    conversation_id = await take_chat(alice, "Typing")
    await alice.send_frame({"type": "typing", "conversation_id": conversation_id, "is_typing": True})
    await expect(page.get_by_test_id("cc-typing")).to_have_text("Alice is typing…")
    await alice.send_frame({"type": "typing", "conversation_id": conversation_id, "is_typing": False})
    await expect(page.get_by_test_id("cc-typing")).to_be_hidden()


async def test_a_chinese_browser_gets_the_widget_in_chinese(chromium: Browser, server: LiveServer, alice: Console) -> None:
    page = await shop_page(chromium, server, locale="zh-CN")
    await page.get_by_test_id("cc-launcher").click()
    await expect(page.get_by_test_id("cc-prechat-submit")).to_have_text("开始咨询")
    await expect(page.get_by_test_id("cc-greeting")).to_contain_text("您好")
    await page.get_by_test_id("cc-prechat-name").fill("王小明")
    await page.get_by_test_id("cc-prechat-submit").click()
    await expect(page.get_by_test_id("cc-composer")).to_have_attribute("placeholder", "输入消息…")
    await page.get_by_test_id("cc-composer").fill("你好")
    await page.keyboard.press("Enter")
    await take_chat(alice, "王小明")
    joined = page.locator("[data-testid=cc-message][data-event=agent_joined]")
    await expect(joined).to_have_text("Alice 加入了会话")


async def test_data_lang_overrides_the_browser_language(chromium: Browser, server: LiveServer) -> None:
    html = f'<!doctype html><body><script src="{server.url}/widget.js" data-channel="demo-shop" data-lang="zh-hans" async></script>'
    page = await (await chromium.new_context(locale="en-US")).new_page()
    with serve_page(html) as url:
        allow_origin(server, url)
        await page.goto(url)
        await page.get_by_test_id("cc-launcher").click()
        await expect(page.get_by_test_id("cc-prechat-submit")).to_have_text("开始咨询")


async def test_an_image_from_the_visitor_is_shown_through_an_authorized_fetch(
    chromium: Browser, server: LiveServer, tmp_path: Path
) -> None:
    image = tmp_path / "tea.png"
    image.write_bytes(png(width=3, height=2))
    page = await shop_page(chromium, server)
    await start_chat(page, name="Picture", first_message="here is a photo")
    await page.get_by_test_id("cc-file-input").set_input_files(str(image))
    shown = page.locator("img[data-testid=cc-attachment]")
    await expect(shown).to_have_attribute("src", re.compile(r"^blob:"))
    await eventually_async(lambda: shown.evaluate("img => img.complete && img.naturalWidth === 3"))
    sender = page.locator("[data-testid=cc-message][data-seq='2']")
    await expect(sender).to_have_attribute("data-sender", "visitor")


async def test_the_widget_stays_hidden_on_a_site_the_channel_does_not_allow(chromium: Browser, server: LiveServer) -> None:
    html = f'<!doctype html><body><h1>elsewhere</h1><script src="{server.url}/widget.js" data-channel="demo-shop" async></script>'
    page = await (await chromium.new_context()).new_page()
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    with serve_page(html) as url:
        await page.goto(url)
        await expect(page.locator("#contactcenter-widget")).to_be_attached()
        await eventually(lambda: any("close code 4403" in w for w in warnings))
        await expect(page.get_by_test_id("cc-launcher")).to_be_hidden()


async def test_a_second_tab_shows_the_chat_started_in_the_first(chromium: Browser, server: LiveServer) -> None:
    context = await chromium.new_context(locale="en-US")  # one browser profile: shared localStorage
    idle_tab = await context.new_page()
    await idle_tab.goto(server.shop_url)
    await expect(idle_tab.get_by_test_id("cc-launcher")).to_be_visible()
    chat_tab = await context.new_page()
    await chat_tab.goto(server.shop_url)
    await start_chat(chat_tab, name="Two tabs", first_message="typed in the second tab")
    await idle_tab.get_by_test_id("cc-launcher").click()
    shown = idle_tab.locator("[data-testid=cc-message][data-seq='1']")
    await expect(shown).to_have_text(re.compile("typed in the second tab"))
    await expect(idle_tab.get_by_test_id("cc-prechat")).to_have_count(0)


async def test_the_panel_fills_the_screen_on_a_phone(chromium: Browser, server: LiveServer) -> None:
    page = await shop_page(chromium, server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    await page.get_by_test_id("cc-launcher").tap()
    box = await page.get_by_test_id("cc-panel").bounding_box()
    assert box is not None
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, 844)
    await expect(page.get_by_test_id("cc-launcher")).to_be_hidden()
    await page.get_by_test_id("cc-close").tap()
    await expect(page.get_by_test_id("cc-launcher")).to_be_visible()


# ------------------------------------------------------------------------------ helpers


async def eventually(check: Callable[[], bool], *, timeout: float = 15) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.1)


async def eventually_async(check: Callable[[], Any], *, timeout: float = 15) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.1)


def png(*, width: int, height: int) -> bytes:
    """A real (decodable) RGB PNG, so the browser shows it with its size."""
    rows = b"".join(b"\x00" + bytes([200, 80, 40]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def allow_origin(server: LiveServer, url: str) -> None:
    """Let the page at ``url`` embed the demo channel (as an admin would, in the channel's settings)."""
    origin = url.rstrip("/")
    shell_json(
        server,
        f"""
from contactcenter.core.inboxes.models import Channel
channel = Channel.objects.get(public_key="demo-shop")
channel.allowed_origins = sorted(set(channel.allowed_origins) | {{{origin!r}}})
channel.save(update_fields=["allowed_origins"])
result = channel.allowed_origins
""",
    )


class serve_page:  # noqa: N801 (used as a context manager)
    """Serve one HTML page on loopback (a site of another origin than the widget's server)."""

    def __init__(self, html: str) -> None:
        body = html.encode("utf-8")

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler))

    def __enter__(self) -> str:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
