"""A channel whose bot is an external Rasa assistant: its replies reach the visitor, its handoff
request puts the chat in line, and when it fails the built-in bot answers instead."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from chat.models import Conversation
from contactcenter.core.inboxes.models import Channel
from tests.bot.test_rasa_connector import FakeRasa
from tests.chat.routing_world import World, consoles, conversation, db, visitor, world
from tests.chat.test_bot_chat import bot_reply

pytestmark = pytest.mark.django_db(transaction=True)
SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "fixtures" / "faq_sample.json"


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


async def rasa_world(url: str, *, with_kb: bool = False) -> World:
    place = await world()

    def setup() -> None:
        Channel.objects.filter(pk=place.channel.pk).update(bot_mode=Channel.BotMode.RASA, rasa_url=url)
        if with_kb:
            from bot.services import import_articles

            import_articles(data=SAMPLE.read_bytes(), filename="faq.json", now=timezone.now())

    await db(setup)()
    return place


async def test_the_assistants_replies_and_buttons_reach_the_visitor(rasa: FakeRasa) -> None:
    rasa.answer_json(
        [
            {"recipient_id": "x", "text": "Which plan do you have?"},
            {"recipient_id": "x", "text": "Pick one", "buttons": [{"title": "Fibre 100", "payload": '/plan{"p":"100"}'}]},
        ]
    )
    place = await rasa_world(rasa.url)
    client = await visitor(place.channel, language="en")
    conversation_id = await client.say("I want to upgrade")
    first = await bot_reply(client)
    second = await bot_reply(client, after=first["seq"])
    assert (first["body"], first["meta"]["bot"]) == ("Which plan do you have?", "rasa")
    assert second["meta"]["suggestions"] == [{"question": "Fibre 100", "payload": '/plan{"p":"100"}'}]
    path, sent = rasa.received[0]
    assert path == "/webhooks/rest/webhook"
    assert sent["sender"] == f"cc-{conversation_id}" and sent["message"] == "I want to upgrade"
    assert (await conversation(conversation_id)).status == Conversation.Status.BOT


async def test_the_assistants_handoff_puts_the_chat_in_line_with_its_reason(rasa: FakeRasa) -> None:
    rasa.answer_json(
        [
            {"recipient_id": "x", "text": "Let me find you a colleague."},
            {"recipient_id": "x", "custom": {"handoff": True, "reason": "billing dispute"}},
        ]
    )
    place = await rasa_world(rasa.url)
    [alice] = await consoles(place.team, "Alice")
    client = await visitor(place.channel, language="en")
    conversation_id = await client.say("I was charged twice")
    await client.system_message("bot_handoff")
    offer = await alice.offer(conversation_id)
    assert "billing dispute" in offer["note"]


async def test_a_failing_assistant_leaves_the_answer_to_the_built_in_bot(rasa: FakeRasa) -> None:
    rasa.behaviour = lambda handler: handler.reply(b"oops", status=500)
    place = await rasa_world(rasa.url, with_kb=True)
    client = await visitor(place.channel, language="en")
    await client.say("How can I pay my bill?")
    reply = await bot_reply(client)
    assert (reply["meta"]["bot"], reply["meta"]["article_id"]) == ("answer", "en-pay")


async def test_a_slow_assistant_is_given_up_on_and_the_built_in_bot_answers(rasa: FakeRasa, settings: Any) -> None:
    settings.CC_RASA_TIMEOUT_S = 0.5

    def slow(handler: Any) -> None:
        rasa.release.wait(10)

    rasa.behaviour = slow
    place = await rasa_world(rasa.url, with_kb=True)
    client = await visitor(place.channel, language="en")
    started = time.monotonic()
    await client.say("How can I pay my bill?")
    reply = await bot_reply(client)
    assert reply["meta"]["article_id"] == "en-pay"
    assert time.monotonic() - started < 9  # not after the assistant's 10 s
