"""The Rasa action server: the real `contactcenter rasa-actions` process answers Rasa's webhook calls
from the knowledge base, keeps rasa-sdk's error shapes and refuses malformed bodies; the ticket
actions work through a registered ticket desk and say so when there is none."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import hooks
from contactcenter.core.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "bot" / "fixtures" / "faq_sample.json"
DOMAIN = {
    "version": "3.1",
    "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    "intents": ["faq", "open_ticket", "ticket_status"],
    "entities": ["email", "ticket_number"],
    "slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}},
    "responses": {},
    "actions": ["action_faq_answer", "action_create_ticket", "action_ticket_status"],
    "forms": {},
}


def rasa_call(
    action: str, text: str = "", *, slots: dict[str, Any] | None = None, events: list[Any] | None = None, sender: str = "visitor-1"
) -> dict[str, Any]:
    """A webhook body as Rasa 3 sends it."""
    latest = {
        "text": text,
        "intent": {"name": "faq", "confidence": 0.97},
        "entities": [],
        "message_id": f"m-{abs(hash(text))}",
        "metadata": {},
    }
    user_event = {
        "event": "user",
        "timestamp": 1_700_000_000.5,
        "text": text,
        "parse_data": latest,
        "input_channel": "rest",
        "message_id": latest["message_id"],
    }
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "conversation_id": sender,
            "slots": slots or {},
            "latest_message": latest,
            "latest_event_time": 1_700_000_000.5,
            "followup_action": None,
            "paused": False,
            "events": [*(events or []), user_event],
            "latest_input_channel": "rest",
            "active_loop": {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
        "domain": DOMAIN,
        "version": "3.6.20",
    }


def slot_events(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


# --- the real server process ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


TOKEN = "s3cret-action-token"


class ActionServer:
    def __init__(self, url: str, data_dir: Path) -> None:
        self.url, self.data_dir = url, data_dir

    def post(self, body: bytes | dict[str, Any], *, headers: dict[str, str] | None = None, token: str = TOKEN) -> tuple[int, Any]:
        """POST to /webhook as Rasa does with ``action_endpoint: {url: ..., token: ...}``."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        query = f"?token={token}" if token else ""
        request = urllib.request.Request(
            f"{self.url}/webhook{query}", data=data, method="POST", headers={"Content-Type": "application/json", **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def turns(self) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.data_dir / "contactcenter.sqlite3") as db:
            return db.execute(
                "SELECT t.question, t.action, t.reason, a.external_id"
                " FROM bot_botturn t LEFT JOIN bot_article a ON a.id = t.article_id ORDER BY t.id"
            ).fetchall()


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    data_dir = tmp_path_factory.mktemp("rasa-actions")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["CC_RASA_ACTIONS_TOKEN"] = TOKEN
    cli = [sys.executable, "-m", "contactcenter.cli", "--data-dir", str(data_dir)]
    imported = subprocess.run([*cli, "faq", "import", str(SAMPLE)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    port = _free_port()
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen([*cli, "rasa-actions", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (data_dir / "server.log").read_text()
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the action server did not start: " + (data_dir / "server.log").read_text()
            time.sleep(0.2)
        yield ActionServer(url, data_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_the_server_lists_the_knowledge_base_and_ticket_actions(action_server: ActionServer) -> None:
    with urllib.request.urlopen(f"{action_server.url}/actions?token={TOKEN}", timeout=10) as response:
        names = {a["name"] for a in json.loads(response.read())}
    assert names == {"action_faq_answer", "action_create_ticket", "action_ticket_status"}


def test_a_chinese_question_is_answered_with_the_articles_plain_text_and_slots(action_server: ActionServer) -> None:
    status, result = action_server.post(rasa_call("action_faq_answer", "网络好卡,视频一直缓冲"))
    assert status == 200
    slots = slot_events(result)
    assert slots["faq_action"] == "answer"
    assert slots["faq_article_id"] == "bb-slow"
    assert slots["faq_score"] >= 0.3
    assert isinstance(slots["faq_turn_id"], int)
    [reply] = result["responses"]
    assert reply["text"].startswith("请先重启光猫和路由器")
    assert "<" not in reply["text"]
    assert ("网络好卡,视频一直缓冲", "answer", "", "bb-slow") in action_server.turns()


def test_the_language_slot_picks_the_english_article(action_server: ActionServer) -> None:
    status, result = action_server.post(rasa_call("action_faq_answer", "how can I pay my bill", slots={"language": "en"}))
    assert status == 200
    assert slot_events(result)["faq_article_id"] == "en-pay"


def test_a_gray_zone_question_lists_the_candidate_questions_as_text_and_buttons(action_server: ActionServer) -> None:
    status, result = action_server.post(rasa_call("action_faq_answer", "宽带问题"))
    assert status == 200
    slots = slot_events(result)
    assert slots["faq_action"] == "suggest"
    assert slots["faq_article_id"] is None
    [reply] = result["responses"]
    titles = [b["title"] for b in reply["buttons"]]
    assert len(titles) >= 2
    assert all(b["payload"] == b["title"] for b in reply["buttons"])
    assert all(f"{n}. {title}" in reply["text"] for n, title in enumerate(titles, start=1))


def test_asking_for_a_person_hands_off_with_the_reason_in_slots_and_a_custom_payload(action_server: ActionServer) -> None:
    status, result = action_server.post(rasa_call("action_faq_answer", "let me talk to a real person"))
    assert status == 200
    slots = slot_events(result)
    assert (slots["faq_action"], slots["faq_reason"]) == ("handoff", "asked_for_person")
    [reply] = result["responses"]
    assert reply["text"]
    assert reply["custom"] == {"handoff": True, "reason": "asked_for_person"}
    assert ("let me talk to a real person", "handoff", "asked_for_person", None) in action_server.turns()


def test_a_compressed_call_as_rasa_sends_it_is_answered(action_server: ActionServer) -> None:
    body = zlib.compress(json.dumps(rasa_call("action_faq_answer", "怎么报名课程")).encode())
    status, result = action_server.post(body, headers={"Content-Encoding": "deflate"})
    assert status == 200
    assert slot_events(result)["faq_article_id"] == "co-enroll"


@pytest.mark.parametrize("token", ["", "wrong"])
def test_a_call_without_the_servers_token_is_refused(action_server: ActionServer, token: str) -> None:
    status, result = action_server.post(rasa_call("action_faq_answer", "网速很慢"), token=token)
    assert (status, result) == (401, {"error": "A valid token is required."})


def test_an_unknown_action_gets_rasa_sdks_not_found_error(action_server: ActionServer) -> None:
    status, result = action_server.post(rasa_call("action_does_not_exist", "hi"))
    assert status == 404
    assert result == {"error": "No registered action found for name 'action_does_not_exist'.", "action_name": "action_does_not_exist"}


def _restore(previous: hooks.TicketBackend | None) -> None:
    if previous is None:
        hooks.unregister_ticket_backend()
    else:
        hooks.register_ticket_backend(create=previous.create, status=previous.status, name=previous.name)


@pytest.fixture
def no_ticket_desk() -> Iterator[None]:
    """A server whose ticket desk is not installed (the tickets app registers itself at start-up)."""
    previous = hooks.ticket_backend()
    hooks.unregister_ticket_backend()
    try:
        yield
    finally:
        _restore(previous)


async def test_ticket_actions_on_a_server_without_a_ticket_desk_say_they_are_not_available(no_ticket_desk: None) -> None:
    call = rasa_call("action_create_ticket", "open a ticket", slots={"ticket_subject": "Router broken", "email": "a@example.com"})
    result = await run_action(call)
    assert result["responses"][0]["text"] == "Ticket actions are not available on this server."
    assert slot_events(result) == {"ticket_error": "unavailable"}


def test_the_ticket_desk_installs_itself_as_the_bots_ticket_backend() -> None:
    backend = hooks.ticket_backend()
    assert backend is not None and backend.name == "tickets"


@pytest.mark.django_db(transaction=True)
def test_the_real_ticket_desk_opens_a_ticket_and_answers_its_status_only_to_its_customer() -> None:
    from tests.factories import TeamFactory

    TeamFactory()
    backend = hooks.ticket_backend()
    assert backend is not None
    receipt = backend.create(hooks.TicketRequest(subject="Router red light", email="Amy@Example.com", phone="", language="en"))
    assert receipt.number.startswith("T-") and receipt.status == "open"
    mine = backend.status(hooks.TicketLookup(number=receipt.number.lower(), email="amy@example.com"))
    assert mine is not None and (mine.number, mine.status, mine.label) == (receipt.number, "open", "open")
    assert backend.status(hooks.TicketLookup(number=receipt.number, email="eve@example.com")) is None
    assert backend.status(hooks.TicketLookup(number="T-999999", email="amy@example.com")) is None


def _with_tracker(**changes: Any) -> dict[str, Any]:
    call = rasa_call("action_faq_answer", "网速很慢")
    call["tracker"].update(changes)
    return call


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "The body is not JSON."),
        (b"[1, 2]", "The body must be a JSON object."),
        (json.dumps({"tracker": {"sender_id": "x"}}).encode(), "next_action must be the name of an action."),
        (json.dumps({"next_action": "action_faq_answer", "domain": {}}).encode(), "tracker must be an object."),
        (
            json.dumps({"next_action": "action_faq_answer", "tracker": {"slots": {}}, "domain": {}}).encode(),
            "tracker.sender_id must be text.",
        ),
        (json.dumps(_with_tracker(slots=["language"])).encode(), "tracker.slots must be an object."),
        (json.dumps(_with_tracker(events={"event": "user"})).encode(), "tracker.events must be a list."),
        (json.dumps(_with_tracker(latest_message="hi")).encode(), "tracker.latest_message must be an object."),
    ],
)
def test_a_malformed_body_is_refused_with_a_400_and_the_reason(action_server: ActionServer, body: bytes, error: str) -> None:
    status, result = action_server.post(body)
    assert status == 400
    assert result["error"] == error


def test_a_body_that_is_not_deflate_data_is_refused(action_server: ActionServer) -> None:
    status, result = action_server.post(b"plain text", headers={"Content-Encoding": "deflate"})
    assert (status, result["error"]) == (400, "The body is not deflate-compressed.")


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(action_server: ActionServer) -> None:
    host, port = action_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        head = f"POST /webhook?token={TOKEN} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n"
        connection.sendall(head.encode() + b'{"next_action": "action_faq_answer", "tracker": {"events": [')
        answer = connection.makefile("rb").read()
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"413"
    assert json.loads(rest.partition(b"\r\n\r\n")[2]) == {"error": "The body is too large.", "action_name": None}


def test_slots_of_the_wrong_type_and_odd_events_do_not_break_an_answer(action_server: ActionServer) -> None:
    call = rasa_call("action_faq_answer", "怎么查询宽带月租和账单", slots={"language": 7}, events=["junk", 3, {"event": "slot"}, None])
    status, result = action_server.post(call)
    assert status == 200
    assert slot_events(result)["faq_article_id"] == "bb-bill"


# --- in process, through rasa-sdk's executor --------------------------------------------------


class FakeTicketDesk:
    def __init__(self) -> None:
        self.created: list[hooks.TicketRequest] = []
        self.lookups: list[hooks.TicketLookup] = []
        self.tickets = {"T-7": hooks.TicketStatus(number="T-7", status="pending", label="waiting for your reply")}
        self.fail_with: Exception | None = None

    def create(self, request: hooks.TicketRequest) -> hooks.TicketReceipt:
        if self.fail_with is not None:
            raise self.fail_with
        self.created.append(request)
        return hooks.TicketReceipt(number=f"T-{100 + len(self.created)}")

    def status(self, lookup: hooks.TicketLookup) -> hooks.TicketStatus | None:
        if self.fail_with is not None:
            raise self.fail_with
        self.lookups.append(lookup)
        return self.tickets.get(lookup.number)


@pytest.fixture
def ticket_desk() -> Iterator[FakeTicketDesk]:
    desk = FakeTicketDesk()
    previous = hooks.ticket_backend()
    hooks.register_ticket_backend(create=desk.create, status=desk.status, name="fake")
    try:
        yield desk
    finally:
        _restore(previous)


async def run_action(call: dict[str, Any]) -> dict[str, Any]:
    from bot.rasa.server import build_executor

    result = await build_executor().run(call)
    assert result is not None
    return dict(result.model_dump())


pytestmark_db = pytest.mark.django_db(transaction=True)

CONVERSATION = [
    {"event": "user", "timestamp": 1_700_000_000.0, "text": "my router has a red light"},
    {"event": "bot", "timestamp": 1_700_000_001.0, "text": "Please restart it."},
    {"event": "slot", "name": "email", "value": "amy@example.com"},
]


@pytestmark_db
async def test_a_ticket_is_created_from_the_slots_and_the_conversation(ticket_desk: FakeTicketDesk) -> None:
    call = rasa_call(
        "action_create_ticket",
        "please open a ticket",
        slots={"ticket_subject": "  Router   red light ", "email": "amy@example.com"},
        events=CONVERSATION,
    )
    result = await run_action(call)
    assert slot_events(result) == {"ticket_number": "T-101", "ticket_status": "open", "ticket_error": None}
    assert result["responses"][0]["text"] == "I've opened ticket T-101. We'll get back to you at amy@example.com."
    [request] = ticket_desk.created
    assert (request.subject, request.email, request.phone, request.language) == ("Router red light", "amy@example.com", "", "en")
    assert [(line.speaker, line.text) for line in request.transcript] == [
        ("customer", "my router has a red light"),
        ("bot", "Please restart it."),
        ("customer", "please open a ticket"),
    ]
    assert request.transcript[0].at is not None and request.transcript[0].at.year == 2023
    assert request.source == "rasa" and request.requester_ref == "visitor-1"
    assert request.idempotency_key.startswith("rasa:visitor-1:m-")
    assert request.conversation_id is None


@pytestmark_db
async def test_a_ticket_from_our_own_connectors_conversation_names_that_conversation(ticket_desk: FakeTicketDesk) -> None:
    call = rasa_call("action_create_ticket", "ticket", slots={"ticket_subject": "Bill", "phone": "+86 138 0013 8000"}, sender="cc-42")
    result = await run_action(call)
    assert slot_events(result)["ticket_number"] == "T-101"
    assert ticket_desk.created[0].conversation_id == 42
    assert ticket_desk.created[0].phone == "+86 138 0013 8000"


@pytestmark_db
async def test_a_ticket_without_an_email_or_phone_asks_how_to_reach_the_customer(ticket_desk: FakeTicketDesk) -> None:
    result = await run_action(rasa_call("action_create_ticket", "ticket", slots={"ticket_subject": "Bill"}))
    assert slot_events(result) == {"ticket_error": "missing_contact"}
    assert "email address or a phone number" in result["responses"][0]["text"]
    assert ticket_desk.created == []


@pytest.mark.parametrize(
    ("slots", "slot", "code"),
    [
        ({"email": "a@example.com"}, "ticket_subject", "missing"),
        ({"ticket_subject": ["Bill"], "email": "a@example.com"}, "ticket_subject", "wrong_type"),
        ({"ticket_subject": True, "email": "a@example.com"}, "ticket_subject", "wrong_type"),
        ({"ticket_subject": "x" * 201, "email": "a@example.com"}, "ticket_subject", "too_long"),
        ({"ticket_subject": "Bill", "email": "not-an-address"}, "email", "invalid"),
        ({"ticket_subject": "Bill", "email": "a@example.com" * 30}, "email", "too_long"),
        ({"ticket_subject": "Bill", "email": {"address": "a@example.com"}}, "email", "wrong_type"),
        ({"ticket_subject": "Bill", "phone": "call me maybe"}, "phone", "invalid"),
        ({"ticket_subject": "Bill", "phone": "12"}, "phone", "invalid"),
    ],
)
@pytestmark_db
async def test_unusable_ticket_slots_are_refused_and_cleared_for_the_form_to_ask_again(
    ticket_desk: FakeTicketDesk, slots: dict[str, Any], slot: str, code: str
) -> None:
    result = await run_action(rasa_call("action_create_ticket", "ticket", slots=slots))
    assert slot_events(result) == {slot: None, "ticket_error": code}
    assert result["responses"][0]["text"]
    assert ticket_desk.created == []


@pytestmark_db
async def test_a_refusal_by_the_ticket_desk_is_passed_on_and_a_crash_is_reported_as_a_failure(ticket_desk: FakeTicketDesk) -> None:
    call = rasa_call("action_create_ticket", "ticket", slots={"ticket_subject": "Bill", "email": "a@example.com"})
    ticket_desk.fail_with = InvalidInput("Tickets for this address are closed.")
    refused = await run_action(call)
    assert refused["responses"][0]["text"] == "Tickets for this address are closed."
    assert slot_events(refused) == {"ticket_error": "invalid"}
    ticket_desk.fail_with = RuntimeError("database on fire")
    failed = await run_action(call)
    assert slot_events(failed) == {"ticket_error": "failed"}
    assert "couldn't open a ticket" in failed["responses"][0]["text"]
    assert "fire" not in failed["responses"][0]["text"]


@pytestmark_db
async def test_a_ticket_status_is_told_for_a_known_number(ticket_desk: FakeTicketDesk) -> None:
    result = await run_action(rasa_call("action_ticket_status", "status?", slots={"ticket_number": " #T-7 ", "email": "amy@example.com"}))
    assert result["responses"][0]["text"] == "Ticket T-7: waiting for your reply."
    assert slot_events(result) == {"ticket_status": "pending", "ticket_error": None}
    assert ticket_desk.lookups == [hooks.TicketLookup(number="T-7", email="amy@example.com", phone="")]


@pytestmark_db
async def test_an_unknown_ticket_number_is_reported_clearly(ticket_desk: FakeTicketDesk) -> None:
    result = await run_action(rasa_call("action_ticket_status", "status?", slots={"ticket_number": 1042.0}))
    assert result["responses"][0]["text"] == "I couldn't find ticket 1042. Please check the number."
    assert slot_events(result) == {"ticket_status": None, "ticket_error": "not_found"}
    assert ticket_desk.lookups[0].number == "1042"


@pytest.mark.parametrize(
    ("number", "code"), [(None, "missing"), ("T-7; DROP TABLE", "invalid"), ("T" * 40, "too_long"), ([7], "wrong_type")]
)
@pytestmark_db
async def test_an_unusable_ticket_number_is_refused_without_a_lookup(ticket_desk: FakeTicketDesk, number: Any, code: str) -> None:
    result = await run_action(rasa_call("action_ticket_status", "status?", slots={"ticket_number": number}))
    assert slot_events(result) == {"ticket_number": None, "ticket_error": code}
    assert ticket_desk.lookups == []


@pytestmark_db
async def test_ticket_status_without_a_ticket_desk_says_it_is_not_available(no_ticket_desk: None) -> None:
    result = await run_action(rasa_call("action_ticket_status", "status?", slots={"ticket_number": "T-7"}))
    assert result["responses"][0]["text"] == "Ticket actions are not available on this server."


@pytestmark_db
async def test_ticket_messages_are_in_chinese_for_a_chinese_speaker(ticket_desk: FakeTicketDesk) -> None:
    result = await run_action(rasa_call("action_ticket_status", "我的工单怎么样了", slots={"ticket_number": "T-999"}))
    assert result["responses"][0]["text"] == "没有找到工单 T-999，请检查编号。"


@pytestmark_db
async def test_answers_in_our_own_conversation_are_logged_against_it_and_repeated_suggestions_hand_off(sample_kb: Any) -> None:
    from bot.models import BotTurn

    first = await run_action(rasa_call("action_faq_answer", "宽带问题", sender="cc-77"))
    second = await run_action(rasa_call("action_faq_answer", "宽带问题", sender="cc-77"))
    third = await run_action(rasa_call("action_faq_answer", "宽带问题", sender="cc-77"))
    assert [slot_events(r)["faq_action"] for r in (first, second, third)] == ["suggest", "suggest", "handoff"]
    assert slot_events(third)["faq_reason"] == "repeated_failure"
    turns = [t async for t in BotTurn.objects.filter(conversation_id=77).order_by("id").values_list("action", flat=True)]
    assert turns == ["suggest", "suggest", "handoff"]


@pytestmark_db
async def test_a_rasa_sender_of_its_own_counts_earlier_suggestions_from_the_tracker(sample_kb: Any) -> None:
    suggested = [{"event": "slot", "name": "faq_action", "value": "suggest"}] * 2
    result = await run_action(rasa_call("action_faq_answer", "宽带问题", events=suggested))
    assert (slot_events(result)["faq_action"], slot_events(result)["faq_reason"]) == ("handoff", "repeated_failure")


def test_a_second_ticket_desk_replaces_the_first_and_unregistering_leaves_none() -> None:
    desk = FakeTicketDesk()
    previous = hooks.ticket_backend()
    hooks.register_ticket_backend(create=desk.create, status=desk.status, name="one")
    try:
        second = hooks.register_ticket_backend(create=desk.create, status=desk.status, name="two")
        assert hooks.ticket_backend() is second
        hooks.unregister_ticket_backend()
        assert hooks.ticket_backend() is None
    finally:
        _restore(previous)
