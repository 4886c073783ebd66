"""What the console needs from the agent socket beyond the chat protocol tests."""

from __future__ import annotations

import pytest

from tests.chat.wsclient import agent_socket, widget

pytestmark = pytest.mark.django_db(transaction=True)


async def test_joined_tells_how_far_the_visitor_has_read(channel, agent) -> None:
    visitor, _welcome = await widget(channel.public_key)
    await visitor.send({"type": "message", "client_id": "v1", "body": "hi"})
    conversation_id = (await visitor.recv_type("ack"))["conversation_id"]
    console, _ready = await agent_socket(agent.user)
    await console.send({"type": "take", "conversation_id": conversation_id})
    await console.recv_type("taken")
    await console.send({"type": "message", "conversation_id": conversation_id, "client_id": "a1", "body": "hello"})
    reply_seq = (await console.recv_type("ack"))["seq"]
    await visitor.send({"type": "read", "seq": reply_seq})
    await visitor.send({"type": "ping"})
    await visitor.recv_type("pong")

    await console.send({"type": "join", "conversation_id": conversation_id, "last_seq": 0})
    joined = await console.recv_type("joined")
    assert joined["details"]["visitor_last_read_seq"] == reply_seq
    await visitor.close()
    await console.close()
