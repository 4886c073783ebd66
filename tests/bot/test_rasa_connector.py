"""The connector to a channel's external Rasa assistant: replies, buttons and handoff requests come
back from Rasa's REST channel; a slow, failing, garbled, oversized or absent server gives None
(so the built-in bot answers), within the timeout, and never an exception."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.rasa.connector import MAX_REPLIES, MAX_TEXT_CHARS, RasaButton, ask_rasa, webhook_url

Behaviour = Callable[["RasaHandler"], None]


class RasaHandler(BaseHTTPRequestHandler):
    """A stand-in for Rasa's REST channel: records what it was sent, answers as the test says."""

    server: FakeRasa

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.received.append((self.path, json.loads(self.rfile.read(length))))
        self.server.behaviour(self)

    def reply(self, body: bytes, *, status: int = 200, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeRasa(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RasaHandler)
        self.received: list[tuple[str, Any]] = []
        self.behaviour: Behaviour = lambda handler: handler.reply(b"[]")
        self.release = threading.Event()  # ends a deliberately slow answer at teardown

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer_json(self, payload: Any) -> None:
        self.behaviour = lambda handler: handler.reply(json.dumps(payload).encode())


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    server = FakeRasa()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def ask(url: str, text: str = "my internet is slow", **kwargs: Any) -> Any:
    return ask_rasa(url=url, sender_id="cc-42", text=text, timeout_s=kwargs.pop("timeout_s", 2.0), **kwargs)


def test_a_text_reply_comes_back_and_the_message_is_sent_in_rasas_rest_format(rasa: FakeRasa) -> None:
    rasa.answer_json([{"recipient_id": "cc-42", "text": "Please restart your router."}])
    result = ask(rasa.url, metadata={"language": "en", "channel": "web"})
    assert result is not None
    assert [r.text for r in result.replies] == ["Please restart your router."]
    assert result.handoff is False
    assert rasa.received == [
        ("/webhooks/rest/webhook", {"sender": "cc-42", "message": "my internet is slow", "metadata": {"language": "en", "channel": "web"}})
    ]


def test_buttons_images_and_several_messages_are_kept_in_order(rasa: FakeRasa) -> None:
    rasa.answer_json(
        [
            {"recipient_id": "cc-42", "text": "Which one?", "buttons": [{"title": "Billing", "payload": "/billing"}, {"title": "Outage"}]},
            {"recipient_id": "cc-42", "image": "https://example.com/map.png"},
            {"recipient_id": "cc-42", "image": "javascript:alert(1)"},
        ]
    )
    result = ask(rasa.url)
    assert result is not None
    first, second, third = result.replies
    assert first.buttons == (RasaButton(title="Billing", payload="/billing"), RasaButton(title="Outage", payload=""))
    assert (second.text, second.image) == ("", "https://example.com/map.png")
    assert third.image == ""  # only http(s) images


def test_a_custom_handoff_payload_asks_for_a_person_with_its_reason(rasa: FakeRasa) -> None:
    rasa.answer_json(
        [
            {"recipient_id": "cc-42", "text": "I'm connecting you to a colleague."},
            {"recipient_id": "cc-42", "custom": {"handoff": True, "reason": "billing dispute"}},
        ]
    )
    result = ask(rasa.url)
    assert result is not None
    assert (result.handoff, result.handoff_reason) == (True, "billing dispute")
    assert result.replies[1].custom == {"handoff": True, "reason": "billing dispute"}


def test_a_custom_payload_that_is_not_a_handoff_is_only_passed_on(rasa: FakeRasa) -> None:
    rasa.answer_json([{"recipient_id": "cc-42", "custom": {"handoff": "yes"}}, {"recipient_id": "cc-42", "custom": [1, 2]}])
    result = ask(rasa.url)
    assert result is not None
    assert result.handoff is False
    assert result.replies[1].custom == {"value": [1, 2]}


def test_an_empty_list_is_an_assistant_with_nothing_to_say(rasa: FakeRasa) -> None:
    rasa.answer_json([])
    result = ask(rasa.url)
    assert result is not None and result.replies == []


def test_text_is_plain_text_without_control_characters_and_bounded(rasa: FakeRasa) -> None:
    rasa.answer_json(
        [{"recipient_id": "cc-42", "text": "<b>bold</b>\x00\x1b[31m line\r\nnext \u202eevil"}]
        + [{"recipient_id": "cc-42", "text": "x" * (MAX_TEXT_CHARS + 500)}] * MAX_REPLIES
    )
    result = ask(rasa.url)
    assert result is not None
    assert result.replies[0].text == "<b>bold</b>[31m line\nnext evil"  # shown as typed, never rendered
    assert len(result.replies) == MAX_REPLIES
    assert len(result.replies[1].text) == MAX_TEXT_CHARS and result.replies[1].text.endswith("…")


def test_a_base_url_with_a_path_or_the_full_webhook_url_reaches_the_webhook() -> None:
    assert webhook_url("http://rasa:5005") == "http://rasa:5005/webhooks/rest/webhook"
    assert webhook_url("http://rasa:5005/") == "http://rasa:5005/webhooks/rest/webhook"
    assert webhook_url("https://bots.example.com/shop/") == "https://bots.example.com/shop/webhooks/rest/webhook"
    assert webhook_url("http://rasa:5005/webhooks/rest/webhook") == "http://rasa:5005/webhooks/rest/webhook"


def test_a_slow_assistant_gives_none_before_it_answers(rasa: FakeRasa, caplog: pytest.LogCaptureFixture) -> None:
    answered_at: list[float] = []

    def slow(handler: RasaHandler) -> None:
        rasa.release.wait(timeout=10)
        answered_at.append(time.monotonic())
        handler.reply(b'[{"recipient_id": "cc-42", "text": "late"}]')

    rasa.behaviour = slow
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bot.rasa.connector"):
        result = ask(rasa.url, timeout_s=0.3)
    elapsed = time.monotonic() - started
    assert result is None
    assert answered_at == []  # it gave up before the server answered
    assert elapsed < 5
    assert "no answer within 0.3 s" in caplog.text


def test_a_server_that_drips_its_answer_is_cut_off_at_the_timeout(rasa: FakeRasa) -> None:
    def drip(handler: RasaHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        handler.wfile.write(b"[")
        for _ in range(200):
            if rasa.release.wait(timeout=0.05):
                return
            handler.wfile.write(b" ")
            handler.wfile.flush()

    rasa.behaviour = drip
    started = time.monotonic()
    assert ask(rasa.url, timeout_s=0.5) is None
    assert time.monotonic() - started < 5  # the drip alone would take 10 s


@pytest.mark.parametrize(
    ("respond", "reason"),
    [
        (lambda h: h.reply(b'{"error": "boom"}', status=500), "HTTP 500"),
        (lambda h: h.reply(b"", status=302), "HTTP 302"),
        (lambda h: h.reply(b"<html>oops</html>", content_type="text/html"), "not JSON"),
        (lambda h: h.reply(b'[{"recipient_id": "cc-42", "text": '), "not JSON"),
        (lambda h: h.reply(b'{"recipient_id": "cc-42", "text": "hi"}'), "not a JSON list"),
        (lambda h: h.reply(b'["hi"]'), "message 1 is not an object"),
        (lambda h: h.reply(b'[{"recipient_id": "cc-42", "text": 5}]'), "text is not text"),
        (lambda h: h.reply(b'[{"recipient_id": "cc-42", "buttons": "yes"}]'), "buttons is not a list"),
        (lambda h: h.reply(b'[{"recipient_id": "cc-42", "buttons": [{"payload": "/x"}]}]'), "a button has no title"),
    ],
)
def test_an_unusable_answer_gives_none_and_a_warning_with_the_reason(
    rasa: FakeRasa, caplog: pytest.LogCaptureFixture, respond: Behaviour, reason: str
) -> None:
    rasa.behaviour = respond
    with caplog.at_level(logging.WARNING, logger="bot.rasa.connector"):
        assert ask(rasa.url) is None
    assert reason in caplog.text


def test_an_oversized_answer_is_not_read_to_the_end(rasa: FakeRasa, caplog: pytest.LogCaptureFixture) -> None:
    huge = json.dumps([{"recipient_id": "cc-42", "text": "x" * 1000}] * 400).encode()  # ~400 KB

    def chunked(handler: RasaHandler) -> None:  # no Content-Length: the size shows only while reading
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(huge)

    rasa.behaviour = chunked
    with caplog.at_level(logging.WARNING, logger="bot.rasa.connector"):
        assert ask(rasa.url) is None
    assert "more than 262144 bytes" in caplog.text
    rasa.behaviour = lambda handler: handler.reply(huge)
    assert ask(rasa.url) is None


def test_no_server_at_the_address_gives_none(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with caplog.at_level(logging.WARNING, logger="bot.rasa.connector"):
        assert ask(f"http://127.0.0.1:{port}") is None
    assert "ConnectionRefusedError" in caplog.text


@pytest.mark.parametrize("url", ["ftp://rasa:21", "not a url", "http://rasa:99999", "", "http://user:pw@"])
def test_a_url_that_is_not_http_gives_none_without_raising(url: str) -> None:
    assert ask(url, timeout_s=0.5) is None


def test_metadata_that_is_not_json_is_sent_as_text(rasa: FakeRasa) -> None:
    rasa.answer_json([{"recipient_id": "cc-42", "text": "ok"}])
    result = ask(rasa.url, metadata={"at": object.__new__(object)})
    assert result is not None
    assert isinstance(rasa.received[0][1]["metadata"]["at"], str)


def test_the_query_and_credentials_of_the_url_stay_out_of_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with caplog.at_level(logging.WARNING, logger="bot.rasa.connector"):
        ask(f"http://bot:hunter2@127.0.0.1:{port}/?token=abc")
    assert "hunter2" not in caplog.text and "abc" not in caplog.text
