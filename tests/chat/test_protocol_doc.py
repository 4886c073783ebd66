"""docs/protocol.md is checked against the running protocol.

Every ```json block in the document is tagged ``<!-- frame: ROLE/DIRECTION TYPE (variant) -->``:

- client examples (``widget/client``, ``agent/client``) are sent to the real consumer in a prepared
  state and must get their documented answer, never an error;
- server examples (``widget/server``, ``agent/server``) must have exactly the shape (keys, nested
  keys, JSON types) of a frame that a scenario really produced, with the same type, error code,
  reason, sender kind, ...;
- every frame type a session handles or sends, and every close code, must be documented.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chat import protocol, services
from chat.models import Conversation
from chat.realtime import AgentSession, WidgetSession
from contactcenter.core.customers.models import CustomerIdentity
from tests.chat.wsclient import Client, agent_raw, agent_socket, taken_by, visitor_with_conversation, widget, widget_raw
from tests.factories import AgentFactory, ChannelFactory, ConversationFactory

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
TAG = re.compile(r"<!--\s*frame:\s*(widget|agent)/(client|server)\s+([a-z_]+)(?:\s+\(([^)]*)\))?\s*-->\s*```json\n(.*?)```", re.S)
# Objects whose keys are data, not protocol (answers to a channel's own pre-chat fields, a system message's event data).
OPAQUE = {"meta", "prechat", "prechat_fields"}
# Values that tell apart examples of one frame type.
DISCRIMINATORS = [("type",), ("code",), ("details", "reason"), ("message", "sender", "kind"), ("message", "internal"), ("from",), ("by",)]


@dataclass(frozen=True)
class Example:
    role: str  # widget | agent
    direction: str  # client | server
    type: str
    variant: str
    frame: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.role}/{self.direction} {self.type}" + (f" ({self.variant})" if self.variant else "")


def load_examples() -> list[Example]:
    text = DOC.read_text(encoding="utf-8")
    examples = []
    for role, direction, kind, variant, body in TAG.findall(text):
        try:
            frame = json.loads(body)
        except ValueError as error:
            raise AssertionError(f"{role}/{direction} {kind} ({variant}): the example is not JSON: {error}") from None
        examples.append(Example(role, direction, kind, variant or "", frame))
    return examples


EXAMPLES = load_examples() if DOC.exists() else []


def examples(role: str, direction: str) -> list[Example]:
    return [e for e in EXAMPLES if e.role == role and e.direction == direction]


# ------------------------------------------------------------------------------ the document itself


def test_the_protocol_document_exists_and_has_examples():
    assert DOC.exists()
    assert len(EXAMPLES) > 30


def test_every_json_block_is_a_tagged_example():
    text = DOC.read_text(encoding="utf-8")
    assert len(re.findall(r"^```json", text, re.M)) == len(EXAMPLES), "a ```json block without a <!-- frame: ... --> tag right above it"


def test_each_example_is_an_object_whose_type_matches_its_tag():
    for example in EXAMPLES:
        assert isinstance(example.frame, dict) and example.frame.get("type") == example.type, example.id


def test_every_frame_a_session_accepts_is_documented():
    assert {e.type for e in examples("widget", "client")} == set(WidgetSession.handlers)
    assert {e.type for e in examples("agent", "client")} == set(AgentSession.handlers)


def test_every_close_code_is_documented():
    text = DOC.read_text(encoding="utf-8")
    codes = {value for name, value in vars(protocol).items() if name.startswith("CLOSE_")}
    documented = {int(c) for c in re.findall(r"^\|\s*`?(4\d\d\d)`?\s*\|", text, re.M)}
    assert documented == codes


def test_every_limit_setting_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for setting in ["CC_MAX_FRAME_BYTES", "CC_MAX_MESSAGE_CHARS", "CC_RATE_FRAMES_PER_S", "CC_RATE_BURST", "CC_RATE_STRIKES_BEFORE_CLOSE"]:
        assert setting in text, setting


def test_documented_limit_defaults_are_the_settings_defaults():
    text = DOC.read_text(encoding="utf-8")
    source = (Path(__file__).resolve().parents[2] / "contactcenter" / "settings.py").read_text(encoding="utf-8")
    for name in ["CC_MAX_FRAME_BYTES", "CC_MAX_MESSAGE_CHARS", "CC_RATE_FRAMES_PER_S", "CC_RATE_BURST", "CC_RATE_STRIKES_BEFORE_CLOSE"]:
        default = re.search(rf'env\.(?:int|float)\("{name}", default=([0-9.* ]+)\)', source)
        documented = re.search(rf"^\|[^|\n]*\|\s*`{name}`\s*\|\s*([0-9.]+)\s*\|", text, re.M)
        assert default and documented, name
        assert math.prod(float(factor) for factor in default.group(1).split("*")) == float(documented.group(1)), name


def test_the_documented_replay_page_size_is_the_real_one():
    from chat.selectors import REPLAY_PAGE

    assert f"at most {REPLAY_PAGE} per frame" in DOC.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------ shapes


def shape(value: Any, key: str = "") -> Any:
    if key in OPAQUE:
        return "opaque"
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return ["list", [shape(v) for v in value]]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


def shape_diff(documented: Any, real: Any, path: str = "") -> list[str]:
    """Differences between two shapes. A documented null stands for any value (a nullable field); a
    null sent is matched only by a documented null, so that another candidate frame must show the
    documented value's shape. An empty list on either side matches any list."""
    if documented == "null" or documented == real:
        return []
    if isinstance(documented, dict) and isinstance(real, dict):
        problems = [f"{path}.{k}: documented but not sent" for k in documented.keys() - real.keys()]
        problems += [f"{path}.{k}: sent but not documented" for k in real.keys() - documented.keys()]
        for k in documented.keys() & real.keys():
            problems += shape_diff(documented[k], real[k], f"{path}.{k}")
        return problems
    if isinstance(documented, list) and isinstance(real, list):
        if not documented[1] or not real[1]:
            return []
        # Lists can mix kinds (messages of visitors, agents, the system): each documented element
        # must have the shape of some element sent.
        problems = []
        for i, element in enumerate(documented[1]):
            diffs = [shape_diff(element, r, f"{path}[{i}]") for r in real[1]]
            if all(diffs):
                problems += min(diffs, key=len)
        return problems
    return [f"{path}: documented as {documented!r}, sent as {real!r}"]


def pick(frame: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = frame
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def same_kind(documented: dict[str, Any], real: dict[str, Any]) -> bool:
    return all(pick(documented, p) == pick(real, p) for p in DISCRIMINATORS)


# ------------------------------------------------------------------------------- server examples


class Recorder:
    """Every frame the scenario's clients receive, by role."""

    def __init__(self) -> None:
        self.frames: dict[str, list[dict[str, Any]]] = {"widget": [], "agent": []}

    def watch(self, client: Client, role: str) -> Client:
        recv = client.recv_any

        async def recording_recv(timeout: float = 3) -> dict[str, Any]:
            frame = await recv(timeout)
            self.frames[role].append(frame)
            return frame

        client.recv_any = recording_recv  # type: ignore[method-assign]
        return client


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _prepare_world(channel: Any) -> dict[str, Any]:
    """An agent with one conversation already taken (so both inbox lists have rows), a rival, a busy agent."""
    agent = AgentFactory(teams=[channel.team], display_name="Alice")
    rival = AgentFactory(teams=[channel.team], display_name="Bob")
    busy = AgentFactory(teams=[channel.team], display_name="Carol", max_concurrent_chats=1)
    mine = ConversationFactory(channel=channel)
    services.post_message(
        conversation_id=mine.pk,
        sender=services.Sender.visitor(mine.customer_id),
        body="Earlier question",
        client_id=None,
        now=timezone.now(),
    )
    services.take_conversation(conversation_id=mine.pk, agent=agent, now=timezone.now())
    services.take_conversation(conversation_id=ConversationFactory(channel=channel).pk, agent=busy, now=timezone.now())
    return {"agent": agent, "rival": rival, "busy": busy}


def _customer_history(conversation_id: int, agent: Any) -> None:
    """Give the visitor an e-mail identity and an earlier conversation, so the agent's customer card is full."""
    conversation = Conversation.objects.get(pk=conversation_id)
    CustomerIdentity.objects.create(customer=conversation.customer, kind="email", value="li.wei@example.com")
    earlier = ConversationFactory(channel=conversation.channel, customer=conversation.customer)
    services.post_message(
        conversation_id=earlier.pk,
        sender=services.Sender.visitor(earlier.customer_id),
        body="Do you ship abroad?",
        client_id=None,
        now=timezone.now(),
    )
    Conversation.objects.filter(pk=earlier.pk).update(status=Conversation.Status.CLOSED, assignee=agent)


def _agent_upload(agent: Any, conversation_id: int) -> int:
    upload = SimpleUploadedFile("receipt.png", PNG)
    return services.store_attachment(conversation_id=conversation_id, sender=services.Sender.for_agent(agent), upload=upload).pk


def _bot_channel() -> Any:
    """A channel of its own team with one published FAQ article for that team (the other channels
    of the scenario keep going straight to agents)."""
    from bot.models import Article

    channel = ChannelFactory()
    Article.objects.create(
        external_id="kb-pwd",
        language="en",
        question="How do I reset my password?",
        answer="Open Settings → Account → Reset password.",
        status=Article.Status.PUBLISHED,
        audience=Article.Audience.PUBLIC,
        team=channel.team,
    )
    return channel


async def run_scenario(settings: Any) -> Recorder:
    rec = Recorder()
    channel = await sync_to_async(ChannelFactory)(
        name="Demo shop",
        greeting_en="Hi! How can we help?",
        prechat_fields=[{"name": "name", "label_en": "Name", "label_zh": "姓名", "type": "text", "required": False}],
    )
    world = await sync_to_async(_prepare_world)(channel)
    agent, rival, busy = world["agent"], world["rival"], world["busy"]

    # A visitor arrives, fills in the pre-chat form and writes.
    visitor, _ = await widget(channel.public_key, hello=False)
    rec.watch(visitor, "widget")
    await visitor.send({"type": "hello", "visitor_token": "", "language": "en", "page_url": "https://shop.example/cart", "last_seq": 0})
    welcome = await visitor.recv_type("welcome")
    await visitor.send({"type": "resume", "last_seq": 0})
    await visitor.recv_type("replay")
    await visitor.send({"type": "start", "prechat": {"name": "Li Wei"}})
    await visitor.recv_type("conversation")
    await visitor.send({"type": "message", "client_id": "v-1", "body": "Where is my order?"})
    ack = await visitor.recv_type("ack")
    conv_id = ack["conversation_id"]
    await visitor.wait_for_seq(1)
    await sync_to_async(_customer_history)(conv_id, world["rival"])

    # The agent console connects, takes, joins and answers with a file.
    console = rec.watch((await agent_raw(agent.user)), "agent")
    await console.recv_type("ready")
    await taken_by(console, conv_id)
    await visitor.wait_for_seq(2)
    attachment_id = await sync_to_async(_agent_upload)(agent, conv_id)
    await console.send(
        {"type": "message", "conversation_id": conv_id, "client_id": "a-1", "body": "Here is your receipt", "attachments": [attachment_id]}
    )
    await console.recv_type("ack")
    await console.wait_for_seq(3)
    await visitor.wait_for_seq(3)
    await console.send({"type": "message", "conversation_id": conv_id, "client_id": "n-1", "body": "VIP customer", "internal": True})
    await console.wait_for_seq(4)
    await visitor.send({"type": "message", "client_id": "v-2", "body": "Thanks!"})
    await console.wait_for_seq(5)
    await visitor.wait_for_seq(5)

    # Typing, read receipts, presence, heartbeats.
    await visitor.send({"type": "typing", "is_typing": True})
    await console.recv_type("typing")
    await console.send({"type": "typing", "conversation_id": conv_id, "is_typing": True})
    await visitor.recv_type("typing")
    await console.send({"type": "read", "conversation_id": conv_id, "seq": 5})
    await visitor.recv_type("read")
    await console.send({"type": "message", "conversation_id": conv_id, "client_id": "a-2", "body": "Anything else?"})
    await visitor.wait_for_seq(6)
    await visitor.send({"type": "read", "seq": 6})
    await console.recv_until(lambda f: f["type"] == "read" and f["by"] == "visitor")
    await console.send({"type": "status", "status": "away"})
    await console.recv_type("agent_status")
    await visitor.recv_type("presence")
    await console.send({"type": "status", "status": "online"})
    await console.recv_type("agent_status")
    await console.send({"type": "ping"})
    await console.recv_type("pong")
    await visitor.send({"type": "ping"})
    await visitor.recv_type("pong")

    # The visitor reloads the page and resumes.
    await visitor.close()
    again = rec.watch((await widget_raw(channel.public_key)), "widget")
    await again.send({"type": "hello", "visitor_token": welcome["visitor_token"], "language": "en", "last_seq": 3})
    await again.recv_type("welcome")
    await again.recv_type("replay")

    # Errors an agent can meet.
    await console.send({"type": "take", "conversation_id": conv_id + 1000})
    await console.recv_error()
    rival_console = rec.watch((await agent_raw(rival.user)), "agent")
    await rival_console.recv_type("ready")
    await rival_console.send({"type": "message", "conversation_id": conv_id, "client_id": "b-1", "body": "Hello"})
    await rival_console.recv_error()
    await rival_console.send({"type": "take", "conversation_id": conv_id})
    await rival_console.recv_error()
    await rival_console.send({"type": "message", "conversation_id": conv_id, "client_id": "v-1", "body": "x", "internal": True})
    await rival_console.recv_error()
    busy_console = rec.watch((await agent_raw(busy.user)), "agent")
    await busy_console.recv_type("ready")
    other_visitor, _, other_conv = await visitor_with_conversation(channel.public_key)
    await busy_console.send({"type": "take", "conversation_id": other_conv})
    await busy_console.recv_error()
    await console.send({"type": "join", "conversation_id": "7"})
    await console.recv_error()

    # Routing: pauses, offers declined, withdrawn and accepted, a transfer, positions in line.
    await rival_console.send({"type": "pause", "reason": "training"})
    await rival_console.recv_type("paused")
    await console.send({"type": "pause", "reason": "lunch"})
    await console.recv_type("paused")
    await console.recv_type("agent_state")
    await console.send({"type": "pause", "reason": ""})
    await console.recv_type("paused")
    waiting_visitor, _, waiting_conv = await visitor_with_conversation(channel.public_key, "Is anyone there?")
    rec.watch(waiting_visitor, "widget")
    offer = await console.recv_until(lambda f: f["type"] == "offer" and f["conversation_id"] == waiting_conv)
    await console.send({"type": "decline_offer", "offer_id": offer["offer_id"]})
    await console.recv_type("offer_declined")
    await console.send({"type": "accept_offer", "offer_id": offer["offer_id"]})
    await console.recv_error()
    await waiting_visitor.send({"type": "ping"})
    await waiting_visitor.recv_type("queue_position")
    await console.send({"type": "status", "status": "online"})  # back online: what waits is offered again
    await console.recv_until(lambda f: f["type"] == "offer" and f["conversation_id"] == waiting_conv)
    await console.send({"type": "resolve", "conversation_id": waiting_conv})
    answers = {(await console.recv_until(lambda f: f["type"] in ("resolved", "offer_withdrawn")))["type"] for _ in range(2)}
    assert answers == {"resolved", "offer_withdrawn"}
    next_visitor, _, next_conv = await visitor_with_conversation(channel.public_key, "Hello?")
    offer = await console.recv_until(lambda f: f["type"] == "offer" and f["conversation_id"] == next_conv)
    await console.send({"type": "accept_offer", "offer_id": offer["offer_id"]})
    answers = {(await console.recv_until(lambda f: f["type"] in ("offer_accepted", "assigned")))["type"] for _ in range(2)}
    assert answers == {"offer_accepted", "assigned"}
    await console.send({"type": "transfer", "conversation_id": next_conv, "to_agent_id": rival.pk, "note": "Billing question"})
    await console.recv_type("transferred")
    await rival_console.recv_type("assigned")
    await rival_console.send({"type": "convert_to_ticket", "conversation_id": next_conv})
    await rival_console.recv_type("converted")
    await console.send({"type": "archive", "conversation_id": conv_id})
    await console.recv_error()

    # Leave, resolve, and a closed conversation.
    await console.send({"type": "leave", "conversation_id": conv_id})
    await console.recv_type("left")
    from routing.models import Queue

    await Queue.objects.filter(team_id=channel.team_id).aupdate(wrap_up_s=30)
    await console.send({"type": "resolve", "conversation_id": conv_id})
    await console.recv_type("resolved")
    await console.recv_until(lambda f: f["type"] == "agent_state" and f["wrap_up_until"] is not None)
    await again.recv_until(lambda f: f["type"] == "conversation" and f["conversation"]["status"] == "resolved")
    await again.send({"type": "rate", "score": 5, "comment": "Quick and kind"})
    await again.recv_type("rated")
    await again.send({"type": "rate", "score": 1})
    await again.recv_error()
    await Conversation.objects.filter(pk=conv_id).aupdate(status=Conversation.Status.CLOSED)
    await console.send({"type": "message", "conversation_id": conv_id, "client_id": "a-9", "body": "One more thing"})
    await console.recv_error()

    # The bot answers first on a channel whose team has an FAQ; feedback; the visitor asks for a person.
    bot_channel = await sync_to_async(_bot_channel)()
    asker, _ = await widget(bot_channel.public_key)
    rec.watch(asker, "widget")
    await asker.send({"type": "message", "client_id": "q-1", "body": "How do I reset my password?"})
    await asker.recv_type("ack")
    answer = await asker.recv_until(lambda f: f["type"] == "message" and f["message"]["sender"]["kind"] == "bot", timeout=15)
    await asker.send({"type": "bot_feedback", "turn_id": answer["message"]["meta"]["turn_id"], "helpful": False})
    await asker.recv_type("bot_feedback_recorded")
    await asker.send({"type": "request_agent"})
    await asker.recv_until(lambda f: f["type"] == "message" and f["message"]["meta"].get("event") == "bot_handoff")

    # Errors a visitor can meet.
    fresh = rec.watch((await widget_raw(channel.public_key)), "widget")
    await fresh.send({"type": "message", "client_id": "early", "body": "hi"})
    await fresh.recv_error()
    await fresh.send("not json")
    await fresh.recv_error()
    await fresh.send({"type": "subscribe"})
    await fresh.recv_error()
    await fresh.send({"type": "hello", "last_seq": "3"})
    await fresh.recv_error()
    await fresh.send({"type": "hello"})
    await fresh.recv_type("welcome")
    await fresh.send({"type": "hello"})
    await fresh.recv_error()
    await fresh.send({"type": "message", "client_id": "long", "body": "x" * (settings.CC_MAX_MESSAGE_CHARS + 1)})
    await fresh.recv_error()
    await fresh.send({"type": "message", "client_id": "huge", "body": "x" * settings.CC_MAX_FRAME_BYTES})
    await fresh.recv_error()
    settings.CC_RATE_BURST, settings.CC_RATE_FRAMES_PER_S, settings.CC_RATE_STRIKES_BEFORE_CLOSE = 1, 0.001, 2
    flooder = rec.watch((await widget_raw(channel.public_key)), "widget")
    for _ in range(3):
        await flooder.send({"type": "ping"})
    assert await flooder.closed_with() == 4429
    refused = rec.watch((await widget_raw(channel.public_key, origin="https://evil.example")), "widget")
    assert await refused.closed_with() == 4403
    unknown = rec.watch((await widget_raw("no-such-key")), "widget")
    assert await unknown.closed_with() == 4404
    nobody = rec.watch((await agent_raw(None)), "agent")
    assert await nobody.closed_with() == 4401
    for client in (again, fresh, console, rival_console, busy_console, other_visitor, waiting_visitor, next_visitor, asker):
        await client.close()
    return rec


@pytest.mark.django_db(transaction=True)
async def test_every_server_example_has_the_shape_of_a_frame_the_server_really_sends(settings):
    rec = await run_scenario(settings)
    problems = []
    for role in ("widget", "agent"):
        documented = examples(role, "server")
        for example in documented:
            candidates = [f for f in rec.frames[role] if same_kind(example.frame, f)]
            if not candidates:
                problems.append(f"{example.id}: the scenario never produced such a frame")
                continue
            diffs = [shape_diff(shape(example.frame), shape(f)) for f in candidates]
            if all(diffs):
                problems.append(f"{example.id}: " + "; ".join(min(diffs, key=len)))
        sent_types = {f["type"] for f in rec.frames[role]}
        undocumented = sent_types - {e.type for e in documented}
        if undocumented:
            problems.append(f"{role}: frames sent but not documented: {sorted(undocumented)}")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------- client examples

# What a client frame is answered with (None: nothing; the heartbeat after it must come back clean).
ANSWERS = {
    ("widget", "hello"): "welcome",
    ("widget", "start"): "conversation",
    ("widget", "message"): "ack",
    ("widget", "typing"): None,
    ("widget", "read"): None,
    ("widget", "resume"): "replay",
    ("widget", "ping"): "pong",
    ("widget", "bot_feedback"): "bot_feedback_recorded",
    ("widget", "request_agent"): None,
    ("widget", "rate"): "rated",
    ("agent", "join"): "joined",
    ("agent", "leave"): "left",
    ("agent", "message"): "ack",
    ("agent", "typing"): None,
    ("agent", "read"): None,
    ("agent", "take"): "taken",
    ("agent", "resolve"): "resolved",
    ("agent", "convert_to_ticket"): "converted",
    ("agent", "status"): "agent_status",
    ("agent", "accept_offer"): "offer_accepted",
    ("agent", "decline_offer"): "offer_declined",
    ("agent", "transfer"): "transferred",
    ("agent", "pause"): "paused",
    ("agent", "ping"): "pong",
}


def _visitor_upload(conversation_id: int) -> int:
    conversation = Conversation.objects.get(pk=conversation_id)
    upload = SimpleUploadedFile("photo.png", PNG)
    return services.store_attachment(
        conversation_id=conversation_id, sender=services.Sender.visitor(conversation.customer_id), upload=upload
    ).pk


async def prepared_widget(example: Example) -> tuple[Client, dict[str, Any]]:
    """A visitor socket in the state the example needs; returns it and the frame to send."""
    channel = await sync_to_async(ChannelFactory)(
        prechat_fields=[
            {"name": "name", "label_en": "Name", "label_zh": "姓名", "type": "text", "required": False},
            {"name": "email", "label_en": "E-mail", "label_zh": "邮箱", "type": "email", "required": False},
        ]
    )
    frame = dict(example.frame)
    if example.type == "hello":
        if frame.get("visitor_token"):
            _, welcome, _ = await visitor_with_conversation(channel.public_key)
            frame["visitor_token"] = welcome["visitor_token"]
        return await widget_raw(channel.public_key), frame
    if example.type == "ping":
        return await widget_raw(channel.public_key), frame
    if example.type == "start":
        visitor, _ = await widget(channel.public_key)
        return visitor, frame
    if example.type in ("bot_feedback", "request_agent"):
        bot_channel = await sync_to_async(_bot_channel)()
        visitor, _, _ = await visitor_with_conversation(bot_channel.public_key, "How do I reset my password?")
        answer = await visitor.recv_until(lambda f: f["type"] == "message" and f["message"]["sender"]["kind"] == "bot", timeout=15)
        if "turn_id" in frame:
            frame["turn_id"] = answer["message"]["meta"]["turn_id"]
        return visitor, frame
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    if example.type == "rate":
        await Conversation.objects.filter(pk=conv_id).aupdate(status=Conversation.Status.RESOLVED)
        return visitor, frame
    if frame.get("attachments"):
        frame["attachments"] = [await sync_to_async(_visitor_upload)(conv_id) for _ in frame["attachments"]]
    return visitor, frame


async def prepared_agent(example: Example) -> tuple[Client, dict[str, Any]]:
    channel = await sync_to_async(ChannelFactory)()
    agent = await sync_to_async(AgentFactory)(teams=[channel.team])
    frame = dict(example.frame)
    console, _ = await agent_socket(agent.user)
    if example.type in ("accept_offer", "decline_offer"):
        _, _, conv_id = await visitor_with_conversation(channel.public_key)
        offer = await console.recv_until(lambda f: f["type"] == "offer" and f["conversation_id"] == conv_id)
        frame["offer_id"] = offer["offer_id"]
        return console, frame
    if "conversation_id" not in frame:
        return console, frame
    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    frame["conversation_id"] = conv_id
    if "to_agent_id" in frame:
        frame["to_agent_id"] = (await sync_to_async(AgentFactory)(teams=[channel.team])).pk
    if "to_queue_id" in frame:
        frame["to_queue_id"] = await sync_to_async(lambda: services.default_queue(channel).pk)()
    if example.type != "take":
        await taken_by(console, conv_id)
    if frame.get("attachments"):
        frame["attachments"] = [await sync_to_async(_agent_upload)(agent, conv_id) for _ in frame["attachments"]]
    return console, frame


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.direction == "client"], ids=lambda e: e.id)
async def test_a_client_example_is_accepted_by_the_server(example):
    client, frame = await (prepared_widget(example) if example.role == "widget" else prepared_agent(example))
    await client.send(frame)
    expected = ANSWERS[(example.role, example.type)]
    if expected is not None:
        answer = await client.recv_until(lambda f: f["type"] in (expected, "error"))
        assert answer["type"] == expected, f"{example.id} was answered with {answer}"
    await client.send({"type": "ping"})
    answer = await client.recv_until(lambda f: f["type"] in ("pong", "error"))
    assert answer["type"] == "pong", f"{example.id} was answered with {answer}"
    await client.close()
