import pytest

from tests.chat.wsclient import agent_socket, widget

pytestmark = pytest.mark.django_db(transaction=True)


async def test_visitor_and_agent_exchange_messages(channel, agent):
    visitor, welcome = await widget(channel.public_key)
    assert welcome["conversation"] is None
    await visitor.send({"type": "message", "client_id": "c1", "body": "Hello <b>there</b>"})
    ack = await visitor.recv_type("ack")
    assert ack["seq"] == 1 and ack["duplicate"] is False
    conv_id = ack["conversation_id"]

    console, ready = await agent_socket(agent.user)
    assert [c["id"] for c in ready["inbox"]["unassigned"]] == [conv_id]
    await console.send({"type": "take", "conversation_id": conv_id})
    await console.recv_type("taken")
    await console.send({"type": "join", "conversation_id": conv_id, "last_seq": 0})
    replay = await console.recv_type("replay")
    assert [m["seq"] for m in replay["messages"]] == [1, 2]
    await console.send({"type": "message", "conversation_id": conv_id, "client_id": "a1", "body": "Hi!"})
    assert (await console.recv_type("ack"))["seq"] == 3
    got = await visitor.recv_type("message")
    while got["message"]["seq"] != 3:
        got = await visitor.recv_type("message")
    assert got["message"]["body"] == "Hi!"
    await visitor.close()
    await console.close()
