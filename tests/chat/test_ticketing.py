"""A chat nobody answers in time, or one an agent converts, becomes a ticket with the transcript the
visitor saw; the visitor is told its number."""

from __future__ import annotations

import pytest

from chat.models import Conversation, Message
from routing.models import Queue
from tests.chat.routing_world import agent, console, consoles, conversation, db, later, now, sweep, visitor, world
from tickets.models import Ticket, TimelineEntry

pytestmark = pytest.mark.django_db(transaction=True)


async def ticket_of(conversation_id: int) -> Ticket:
    return await db(lambda: Ticket.objects.get(conversation_id=conversation_id))()


async def test_a_chat_nobody_answers_in_time_becomes_a_ticket_and_the_visitor_is_told_its_number() -> None:
    place = await world(max_wait_s=60, overflow_action=Queue.OverflowAction.TICKET)
    client = await visitor(place.channel, language="en")
    conversation_id = await client.say("My router keeps rebooting")
    await sweep(later(now(), 61))
    told = await client.system_message("ticket_created")
    ticket = await ticket_of(conversation_id)
    assert told["meta"]["number"] == ticket.number
    assert ticket.number in told["body"]
    assert ticket.subject == "My router keeps rebooting"
    transcript = await db(lambda: TimelineEntry.objects.get(ticket=ticket, event="transcript").new_value)()
    assert [line["body"] for line in transcript["lines"]] == ["My router keeps rebooting"]
    assert (await conversation(conversation_id)).status == Conversation.Status.RESOLVED


async def test_an_agent_converts_a_chat_and_internal_notes_stay_out_of_the_ticket() -> None:
    place = await world()
    [alice] = await consoles(place.team, "Alice")
    client = await visitor(place.channel, language="zh-hans")
    conversation_id = await client.say("发票一直没收到")
    await alice.take_offered(conversation_id)
    await alice.answers(
        {"type": "message", "conversation_id": conversation_id, "client_id": "n1", "body": "VIP, be careful", "internal": True}, "ack"
    )
    await alice.answers({"type": "message", "conversation_id": conversation_id, "client_id": "a1", "body": "我帮您登记一下"}, "ack")
    got = await alice.answers({"type": "convert_to_ticket", "conversation_id": conversation_id}, "converted")
    ticket = await ticket_of(conversation_id)
    assert got["converted"]["ticket_number"] == ticket.number
    told = await client.system_message("ticket_created")
    assert ticket.number in told["body"] and "工单" in told["body"]
    body = await db(lambda: TimelineEntry.objects.get(ticket=ticket, event="transcript").body)()
    assert "发票一直没收到" in body and "我帮您登记一下" in body and "VIP" not in body
    again = await alice.answers({"type": "convert_to_ticket", "conversation_id": conversation_id}, "converted")
    assert again["converted"]["ticket_number"] == ticket.number
    assert await db(lambda: Ticket.objects.filter(conversation_id=conversation_id).count())() == 1
    assert await db(lambda: Message.objects.filter(conversation_id=conversation_id, meta__event="ticket_created").count())() == 2


async def test_an_agent_of_another_team_cannot_convert_the_chat() -> None:
    place = await world()
    client = await visitor(place.channel, language="en")
    conversation_id = await client.say("Hello?")
    stranger = await console(await agent(None, "Eve"))
    refused = await stranger.answers({"type": "convert_to_ticket", "conversation_id": conversation_id}, "error")
    assert refused["error"]["code"] == "not_found"
    assert not await db(lambda: Ticket.objects.exists())()
