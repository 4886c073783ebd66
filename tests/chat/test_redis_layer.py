"""Through Redis pub/sub: a visitor and an agent whose sockets use two separate layer connections (two nodes)."""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlsplit

import pytest
from channels.testing import WebsocketCommunicator

from chat.consumers import AgentConsumer
from tests.chat.wsclient import Client, visitor_with_conversation
from tests.conftest import need

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("REDIS_URL") or os.environ.get("CC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_reachable() -> bool:
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def two_nodes(settings):
    """``default`` is node 1 (the visitor's, and where services publish), ``node2`` the agent's."""
    need("Redis", redis_reachable(), REDIS_URL)
    layer = {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"cctest-nodes-{uuid.uuid4().hex[:10]}"},
    }
    settings.CHANNEL_LAYERS = {"default": layer, "node2": dict(layer)}


async def agent_on_node2(user) -> tuple[Client, dict]:
    comm = WebsocketCommunicator(AgentConsumer.as_asgi(channel_layer_alias="node2"), "/ws/agent/")
    comm.scope["user"] = user
    connected, _ = await comm.connect()
    assert connected
    client = Client(comm)
    return client, await client.recv_type("ready")


async def test_a_visitor_and_an_agent_on_two_nodes_talk_through_redis(two_nodes, channel, agent):
    console, _ = await agent_on_node2(agent.user)
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key, body="Hello from node 1")
    listed = await console.recv_until(lambda f: f["type"] == "conversation" and f["conversation"]["last_body"] == "Hello from node 1")
    assert listed["conversation"]["id"] == conv_id
    await console.send({"type": "take", "conversation_id": conv_id})
    await console.recv_type("taken")
    await console.send({"type": "join", "conversation_id": conv_id, "last_seq": 0})
    await console.recv_type("replay")
    for i in range(5):
        await console.send({"type": "message", "conversation_id": conv_id, "client_id": f"a{i}", "body": f"agent {i}"})
        await visitor.send({"type": "message", "client_id": f"v{i}", "body": f"visitor {i}"})
    await visitor.wait_for_seq(12)
    await console.wait_for_seq(12)
    assert [m["seq"] for m in visitor.seen] == list(range(1, 13))
    assert [m["seq"] for m in console.seen] == list(range(1, 13))
    await visitor.send({"type": "typing", "is_typing": True})
    assert (await console.recv_type("typing"))["from"] == "visitor"
    await visitor.close()
    await console.close()


async def test_a_take_race_across_two_nodes_has_one_winner(two_nodes, channel, agent):
    from asgiref.sync import sync_to_async

    from tests.chat.wsclient import agent_socket
    from tests.factories import AgentFactory

    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    rival = await sync_to_async(AgentFactory)(teams=[channel.team])
    here, _ = await agent_socket(agent.user)
    there, _ = await agent_on_node2(rival.user)
    await here.send({"type": "take", "conversation_id": conv_id})
    await there.send({"type": "take", "conversation_id": conv_id})
    answers = [
        await here.recv_until(lambda f: f["type"] in ("taken", "error")),
        await there.recv_until(lambda f: f["type"] in ("taken", "error")),
    ]
    assert sorted(a["type"] for a in answers) == ["error", "taken"]
    await here.close()
    await there.close()
