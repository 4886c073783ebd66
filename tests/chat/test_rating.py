"""A visitor rates a resolved chat over the widget socket: once, validated, stored for the CSAT reports."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from chat.models import Conversation
from tests.chat.wsclient import agent_socket, taken_by, visitor_with_conversation
from tests.factories import AgentFactory, ChannelFactory
from tickets.csat.models import Rating

pytestmark = pytest.mark.django_db(transaction=True)


async def resolved_chat() -> tuple[Any, Any, int, Any]:
    """A visitor whose conversation an agent took and resolved (the visitor saw it resolved)."""
    channel = await sync_to_async(ChannelFactory)()
    agent = await sync_to_async(AgentFactory)(teams=[channel.team])
    console, _ = await agent_socket(agent.user)
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key, "My parcel is late")
    await taken_by(console, conv_id)
    await console.send({"type": "resolve", "conversation_id": conv_id})
    await console.recv_type("resolved")
    await visitor.recv_until(lambda f: f["type"] == "conversation" and f["conversation"]["status"] == "resolved")
    await console.close()
    return visitor, agent, conv_id, channel


async def test_a_visitor_rates_a_resolved_chat_and_gets_rated():
    visitor, agent, conv_id, channel = await resolved_chat()
    await visitor.send({"type": "rate", "score": 4, "comment": "  很快，谢谢 "})
    rated = await visitor.recv_type("rated")
    assert rated == {"type": "rated", "conversation_id": conv_id, "score": 4}
    rating = await Rating.objects.aget(conversation_id=conv_id)
    assert (rating.source, rating.score, rating.comment, rating.agent_id, rating.team_id) == (
        "chat",
        4,
        "很快，谢谢",
        agent.pk,
        channel.team_id,
    )
    await visitor.close()


async def test_a_second_rating_is_refused_and_the_first_stays():
    visitor, _, conv_id, _ = await resolved_chat()
    await visitor.send({"type": "rate", "score": 5})
    await visitor.recv_type("rated")
    await visitor.send({"type": "rate", "score": 1, "comment": "changed my mind"})
    error = await visitor.recv_error()
    assert error["code"] == "already_rated"
    assert [r.score async for r in Rating.objects.filter(conversation_id=conv_id)] == [5]
    await visitor.send({"type": "ping"})
    assert (await visitor.recv_type("pong"))["type"] == "pong"  # the socket stays usable
    await visitor.close()


async def test_a_chat_that_is_not_resolved_cannot_be_rated():
    channel = await sync_to_async(ChannelFactory)()
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    await visitor.send({"type": "rate", "score": 5})
    error = await visitor.recv_error()
    assert error["code"] == "not_ratable" and error["details"]["reason"] == "not_resolved"
    assert not await Rating.objects.filter(conversation_id=conv_id).aexists()
    await visitor.close()


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({"type": "rate", "score": 0}, "score"),
        ({"type": "rate", "score": 6}, "score"),
        ({"type": "rate", "score": "5"}, "score"),
        ({"type": "rate", "score": True}, "score"),
        ({"type": "rate", "score": 4.5}, "score"),
        ({"type": "rate"}, "score"),
        ({"type": "rate", "score": 3, "comment": 7}, "comment"),
        ({"type": "rate", "score": 3, "comment": "x" * 1001}, "comment"),
    ],
)
async def test_bad_scores_types_and_oversized_comments_are_refused(frame: dict[str, Any], field: str):
    visitor, _, conv_id, _ = await resolved_chat()
    await visitor.send(frame)
    error = await visitor.recv_error()
    assert error["code"] == "invalid" and error["details"]["field"] == field
    assert not await Rating.objects.filter(conversation_id=conv_id).aexists()
    await visitor.close()


async def test_a_closed_chat_can_still_be_rated():
    visitor, _, conv_id, _ = await resolved_chat()
    await Conversation.objects.filter(pk=conv_id).aupdate(status=Conversation.Status.CLOSED)
    await visitor.send({"type": "rate", "score": 2})
    assert (await visitor.recv_type("rated"))["score"] == 2
    await visitor.close()
