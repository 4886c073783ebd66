import json

import pytest
from channels.testing import WebsocketCommunicator

from contactcenter.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def open_agent_socket(user, headers):
    comm = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
    comm.scope["user"] = user
    connected, _ = await comm.connect()
    assert connected
    return comm


async def test_agent_socket_from_another_origin_is_refused_even_with_a_valid_session(agent):
    comm = await open_agent_socket(agent.user, [(b"host", b"cc.example:8000"), (b"origin", b"http://cc.example:8001")])
    frame = json.loads(await comm.receive_from())
    assert frame["type"] == "error" and frame["code"] == "unauthenticated"
    assert (await comm.receive_output())["code"] == 4401


async def test_agent_socket_from_the_servers_own_origin_is_accepted(agent):
    comm = await open_agent_socket(agent.user, [(b"host", b"cc.example:8000"), (b"origin", b"http://cc.example:8000")])
    frame = json.loads(await comm.receive_from())
    assert frame["type"] == "ready"
    await comm.disconnect()
