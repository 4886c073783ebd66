"""Browser helpers: the visitor's widget (on the shop page) and the agent console, by their test ids.

The widget's hooks live in an open shadow root; Playwright's test-id locators pierce it.
Messages are read by ``data-seq`` so a test can count exactly what each screen shows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from playwright.sync_api import Page, expect

from tests.e2e.servers import DEMO_PASSWORD
from tests.liveserver import LiveServer

T = TypeVar("T")

_READ_WIDGET = """els => els.map(e => ({
  seq: e.dataset.seq ? Number(e.dataset.seq) : null,
  sender: e.dataset.sender,
  state: e.dataset.state,
  client_id: e.dataset.clientId || null,
  body: (e.querySelector('[data-testid=cc-message-body]') || {textContent: ''}).textContent,
}))"""

_READ_CONSOLE = """els => els.map(e => ({
  seq: e.dataset.seq ? Number(e.dataset.seq) : null,
  sender: e.dataset.sender,
  client_id: e.dataset.clientId || null,
  body: (e.querySelector('[data-testid=message-body]') || e).textContent,
}))"""


def eventually(check: Callable[[], T], *, timeout: float = 15, interval: float = 0.2) -> T:
    """Call ``check`` until it stops raising AssertionError (the last error is raised at the deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)


def seqs(messages: list[dict[str, Any]]) -> list[int]:
    return [m["seq"] for m in messages if m["seq"] is not None]


# ------------------------------------------------------------------------------ the visitor


class Visitor:
    """A visitor on the shop page (another origin than the server) using the chat widget."""

    def __init__(self, page: Page, server: LiveServer) -> None:
        self.page = page
        self.server = server

    def open_shop(self) -> Visitor:
        self.page.goto(self.server.shop_url)
        expect(self.page.get_by_test_id("cc-launcher")).to_be_visible()
        return self

    def open_widget(self) -> None:
        launcher = self.page.get_by_test_id("cc-launcher")
        if launcher.get_attribute("aria-expanded") != "true":
            launcher.click()
        expect(self.page.get_by_test_id("cc-panel")).to_be_visible()

    def start_chat(self, *, name: str, email: str = "") -> None:
        self.open_widget()
        self.page.get_by_test_id("cc-prechat-name").fill(name)
        if email:
            self.page.get_by_test_id("cc-prechat-email").fill(email)
        submit = self.page.get_by_test_id("cc-prechat-submit")
        expect(submit).to_be_enabled()
        submit.click()
        expect(self.page.get_by_test_id("cc-prechat")).to_have_count(0)
        expect(self.page.get_by_test_id("cc-composer")).to_be_visible()

    def type(self, text: str) -> None:
        composer = self.page.get_by_test_id("cc-composer")
        composer.click()
        composer.press_sequentially(text, delay=15)

    def send(self, text: str) -> None:
        composer = self.page.get_by_test_id("cc-composer")
        composer.fill(text)
        self.page.get_by_test_id("cc-send").click()
        expect(composer).to_have_value("")

    def messages(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.page.get_by_test_id("cc-message").evaluate_all(_READ_WIDGET)
        return result

    def wait_for_body(self, body: str, *, timeout: float = 15) -> dict[str, Any]:
        def check() -> dict[str, Any]:
            found = [m for m in self.messages() if m["body"] == body and m["seq"] is not None]
            assert found, f"visitor does not show {body!r} as stored yet: {self.messages()[-5:]}"
            return found[0]

        return eventually(check, timeout=timeout)

    def connection(self) -> str | None:
        return self.page.get_by_test_id("cc-panel").get_attribute("data-connection")

    def wait_online(self, *, timeout: float = 30) -> None:
        expect(self.page.get_by_test_id("cc-panel")).to_have_attribute("data-connection", "online", timeout=timeout * 1000)

    def transport(self) -> Any:
        return self.page.evaluate("() => window.ContactCenterWidget && window.ContactCenterWidget.transport")


# ------------------------------------------------------------------------------ the agent


class Agent:
    """An agent in the console."""

    def __init__(self, page: Page, server: LiveServer, username: str, *, password: str = DEMO_PASSWORD) -> None:
        self.page = page
        self.server = server
        self.username = username
        self.password = password

    def log_in(self, *, start_at: str | None = None) -> Agent:
        """Sign in through the login page (``start_at``: an address that leads there, e.g. /console/)."""
        self.page.goto(start_at or f"{self.server.url}/console/login/")
        self.page.get_by_test_id("login-username").fill(self.username)
        self.page.get_by_test_id("login-password").fill(self.password)
        self.page.get_by_test_id("login-submit").click()
        self.page.wait_for_url(f"{self.server.url}/console/**")
        self.wait_online()
        return self

    def wait_online(self, *, timeout: float = 30) -> None:
        expect(self.page.get_by_test_id("connection-state")).to_have_attribute("data-state", "online", timeout=timeout * 1000)

    def inbox_item(self, customer_name: str, *, box: str = "inbox-unassigned") -> Any:
        return (
            self.page.get_by_test_id(box)
            .get_by_test_id("inbox-item")
            .filter(has=self.page.get_by_test_id("inbox-item-name").get_by_text(customer_name, exact=True))
        )

    def take(self, customer_name: str) -> None:
        item = self.inbox_item(customer_name)
        expect(item).to_have_count(1)
        item.locator("button").first.click()
        take = self.page.get_by_test_id("take-button")
        expect(take).to_be_visible()
        take.click()
        expect(self.inbox_item(customer_name, box="inbox-mine")).to_have_count(1)
        expect(self.page.get_by_test_id("composer-input")).to_be_editable()

    def type(self, text: str) -> None:
        box = self.page.get_by_test_id("composer-input")
        box.click()
        box.press_sequentially(text, delay=15)

    def send(self, text: str) -> None:
        box = self.page.get_by_test_id("composer-input")
        box.fill(text)
        self.page.get_by_test_id("send-button").click()
        expect(box).to_have_value("")

    def messages(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.page.locator("[data-testid=transcript] [data-testid=message]").evaluate_all(_READ_CONSOLE)
        return result

    def pending(self) -> int:
        return self.page.get_by_test_id("pending-message").count()

    def wait_for_body(self, body: str, *, timeout: float = 15) -> dict[str, Any]:
        def check() -> dict[str, Any]:
            found = [m for m in self.messages() if m["body"] == body]
            assert found, f"agent does not show {body!r}: {self.messages()[-5:]}"
            return found[0]

        return eventually(check, timeout=timeout)

    def conversation_id(self) -> int:
        """The open conversation's id, from the console's address (#conversation-ID)."""
        match = re.search(r"#conversation-(\d+)$", self.page.url)
        assert match, f"no conversation open: {self.page.url}"
        return int(match.group(1))

    def resolve(self) -> None:
        button = self.page.get_by_test_id("resolve-button")
        expect(button).to_be_visible()
        button.click()
        expect(self.page.get_by_test_id("conversation-status")).not_to_have_text("")


def visitor_and_agent(server: LiveServer, open_page: Callable[..., Page], *, name: str, first_message: str) -> tuple[Visitor, Agent]:
    """A visitor who started a chat and said something, and alice, who took it."""
    visitor = Visitor(open_page("visitor"), server).open_shop()
    visitor.start_chat(name=name)
    visitor.send(first_message)
    visitor.wait_for_body(first_message)
    agent = Agent(open_page("agent"), server, "alice").log_in()
    agent.take(name)
    agent.wait_for_body(first_message)
    return visitor, agent


def assert_same_transcript(visitor: Visitor, agent: Agent, *, bodies: list[str]) -> list[int]:
    """Both screens show the same stored messages, each once, in seq order, with these bodies among them."""

    def check() -> list[int]:
        seen_by_visitor = visitor.messages()
        seen_by_agent = agent.messages()
        visitor_seqs, agent_seqs = seqs(seen_by_visitor), seqs(seen_by_agent)
        assert all(m["seq"] is not None for m in seen_by_visitor), f"visitor still sending: {seen_by_visitor}"
        assert agent.pending() == 0, "agent still has unsent messages"
        assert visitor_seqs == list(range(1, len(visitor_seqs) + 1)), f"visitor seqs {visitor_seqs}"
        assert agent_seqs == visitor_seqs, f"agent seqs {agent_seqs} != visitor seqs {visitor_seqs}"
        for screen in (seen_by_visitor, seen_by_agent):
            shown = [m["body"] for m in screen]
            for body in bodies:
                assert shown.count(body) == 1, f"{body!r} shown {shown.count(body)} times"
        return visitor_seqs

    return eventually(check, timeout=30)
