"""The bot answers first in a chat and hands off into routing: real widget and console sockets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from bot.models import Article, BotTurn
from chat.models import Conversation, Message
from contactcenter.core.inboxes.models import Channel
from routing.models import QueueEntry
from tests.chat.routing_world import Visitor, World, console, consoles, conversation, db, visitor, world

pytestmark = pytest.mark.django_db(transaction=True)
SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "fixtures" / "faq_sample.json"


@pytest.fixture(autouse=True)
def _index_sees_every_change(settings: Any) -> Any:
    from bot import knowledge

    settings.CC_BOT_INDEX_CHECK_S = 0
    knowledge.use_encoder(None)
    yield
    knowledge.use_encoder(None)


async def kb_world(**queue_fields: Any) -> World:
    """A channel and its team's queue, with the sample FAQ published."""
    from bot.services import import_articles

    place = await world(**queue_fields)
    await db(lambda: import_articles(data=SAMPLE.read_bytes(), filename="faq.json", now=timezone.now()))()
    return place


async def bot_reply(client: Visitor, *, after: int = 0) -> dict[str, Any]:
    """The first bot message with a seq above ``after``."""
    while True:
        for message in client.seen:
            if message["sender"]["kind"] == "bot" and message["seq"] > after:
                return message
        await client.recv_any(timeout=15)  # the first question of a process loads the model


async def test_a_faq_question_is_answered_by_the_bot_and_nobody_is_offered_the_chat() -> None:
    place = await kb_world()
    [alice] = await consoles(place.team, "Alice")
    client = await visitor(place.channel, language="zh-hans")
    conversation_id = await client.say("网速很慢怎么办?")
    reply = await bot_reply(client)
    assert reply["meta"]["bot"] == "answer"
    assert reply["meta"]["article_id"] == "bb-slow"
    assert reply["meta"]["feedback"] is True
    assert reply["body"].startswith("请先重启光猫")
    assert (await conversation(conversation_id)).status == Conversation.Status.BOT
    assert not await db(lambda: QueueEntry.objects.filter(item_id=conversation_id).exists())()
    await alice.settle()
    assert alice.offered() == []


async def test_asking_for_a_person_hands_off_and_the_agent_sees_the_reason_and_the_bot_transcript() -> None:
    place = await kb_world()
    [alice] = await consoles(place.team, "Alice")
    client = await visitor(place.channel, language="zh-hans")
    conversation_id = await client.say("宽带突然断网了")
    first = await bot_reply(client)
    await client.say("转人工")
    handoff = await bot_reply(client, after=first["seq"])
    assert (handoff["meta"]["bot"], handoff["meta"]["reason"]) == ("handoff", "asked_for_person")
    await client.system_message("bot_handoff")
    offer = await alice.offer(conversation_id)
    # Worded in the conversation's language (the agent offered a Chinese chat reads Chinese).
    assert offer["note"] == "机器人转人工：访客要求转人工 —“转人工”"
    await alice.accept(offer)
    messages = await alice.join(conversation_id)
    kinds = [(m["sender"]["kind"], m["internal"]) for m in messages]
    assert ("bot", False) in kinds and ("visitor", False) in kinds
    note = [m for m in messages if m["internal"] and m["meta"].get("event") == "routing_note"]
    assert note and "访客要求转人工" in note[0]["body"]
    assert (await conversation(conversation_id)).status == Conversation.Status.OPEN


async def test_two_unhelpful_answers_hand_off_without_being_asked() -> None:
    place = await kb_world()
    [alice] = await consoles(place.team, "Alice")
    client = await visitor(place.channel, language="en")
    conversation_id = await client.say("How can I pay my bill?")
    answer = await bot_reply(client)
    got = await client.answers({"type": "bot_feedback", "turn_id": answer["meta"]["turn_id"], "helpful": False}, "bot_feedback_recorded")
    assert got["bot_feedback_recorded"]["helpful"] is False
    offer_person = await bot_reply(client, after=answer["seq"])
    assert offer_person["meta"]["bot"] == "offer_person"
    await client.say("Do I get a certificate?")
    second = await bot_reply(client, after=offer_person["seq"])
    assert second["meta"]["bot"] == "answer"
    await client.answers({"type": "bot_feedback", "turn_id": second["meta"]["turn_id"], "helpful": False}, "bot_feedback_recorded")
    handoff = await bot_reply(client, after=second["seq"])
    assert (handoff["meta"]["bot"], handoff["meta"]["reason"]) == ("handoff", "unhelpful")
    offer = await alice.offer(conversation_id)
    assert "did not help" in offer["note"]
    counts = await db(
        lambda: list(Article.objects.filter(external_id__in=["en-pay", "en-cert"]).values_list("not_helpful_count", flat=True))
    )()
    assert counts == [1, 1]


async def test_feedback_counts_once_and_only_for_the_visitors_own_answers() -> None:
    place = await kb_world()
    client = await visitor(place.channel, language="en")
    await client.say("How can I pay my bill?")
    answer = await bot_reply(client)
    turn_id = answer["meta"]["turn_id"]
    await client.answers({"type": "bot_feedback", "turn_id": turn_id, "helpful": True}, "bot_feedback_recorded")
    await client.answers({"type": "bot_feedback", "turn_id": turn_id, "helpful": False}, "bot_feedback_recorded")
    assert await db(lambda: Article.objects.get(external_id="en-pay").helpful_count)() == 1
    assert await db(lambda: Article.objects.get(external_id="en-pay").not_helpful_count)() == 0
    stranger = await visitor(place.channel, language="en")
    await stranger.say("hello")
    refused = await stranger.answers({"type": "bot_feedback", "turn_id": turn_id, "helpful": False}, "error")
    assert refused["error"]["code"] == "not_found"
    bad = await stranger.answers({"type": "bot_feedback", "turn_id": "x", "helpful": False}, "error")
    assert bad["error"]["code"] == "invalid"


async def test_the_talk_to_a_person_button_hands_off_once() -> None:
    place = await kb_world()
    [alice] = await consoles(place.team, "Alice")
    client = await visitor(place.channel, language="en")
    conversation_id = await client.say("hello")
    greeting = await bot_reply(client)
    assert greeting["meta"]["bot"] == "smalltalk"
    await client.send({"type": "request_agent"})
    await client.system_message("bot_handoff")
    offer = await alice.offer(conversation_id)
    assert "asked for a person" in offer["note"]
    again = await client.answers({"type": "request_agent"}, "error")
    assert again["error"]["details"]["reason"] == "not_with_bot"


async def test_out_of_scope_questions_are_declined_politely_then_handed_off() -> None:
    place = await kb_world()
    [alice] = await consoles(place.team, "Alice")
    client = await visitor(place.channel, language="zh-hans")
    conversation_id = await client.say("明天会下雨吗")
    reply = await bot_reply(client)
    assert (reply["meta"]["bot"], reply["meta"]["reason"]) == ("handoff", "out_of_scope")
    assert "只能" in reply["body"]  # worded in the visitor's language
    await alice.offer(conversation_id)


async def test_the_bot_is_quiet_once_an_agent_has_taken_the_chat() -> None:
    place = await kb_world()
    alice = (await consoles(place.team, "Alice"))[0]
    client = await visitor(place.channel, language="en")
    conversation_id = await client.say("hello")
    await bot_reply(client)
    await alice.answers({"type": "take", "conversation_id": conversation_id}, "taken")
    before = await db(lambda: Message.objects.filter(conversation_id=conversation_id, sender_kind="bot").count())()
    await client.say("How can I pay my bill?")
    await client.settle(0.5)
    after = await db(lambda: Message.objects.filter(conversation_id=conversation_id, sender_kind="bot").count())()
    assert after == before


async def test_a_channel_with_the_bot_off_goes_straight_to_the_queue() -> None:
    place = await kb_world()
    await db(lambda: Channel.objects.filter(pk=place.channel.pk).update(bot_mode=Channel.BotMode.OFF))()
    [alice] = await consoles(place.team, "Alice")
    client = await visitor(place.channel, language="en")
    conversation_id = await client.say("How can I pay my bill?")
    await alice.offer(conversation_id)
    assert await db(lambda: BotTurn.objects.count())() == 0


async def test_with_nothing_published_the_bot_steps_aside() -> None:
    place = await world()
    alice = await console(await db(lambda: place.team.agents.first())() or (await _agent(place)))
    client = await visitor(place.channel, language="en")
    conversation_id = await client.say("How can I pay my bill?")
    await alice.offer(conversation_id)


async def _agent(place: World) -> Any:
    from tests.chat.routing_world import agent

    return await agent(place.team, "Alice")
