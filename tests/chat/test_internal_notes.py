"""Internal notes stay with the staff: never live, in a replay, a pong, a view or an attachment for the visitor."""

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from chat import services
from chat.access import access_attachment_for_visitor
from contactcenter.core.errors import NotFound
from tests.chat.wsclient import agent_socket, taken_by, visitor_with_conversation, widget

pytestmark = pytest.mark.django_db(transaction=True)


async def note(console, conversation_id, body, client_id):
    await console.send({"type": "message", "conversation_id": conversation_id, "client_id": client_id, "body": body, "internal": True})
    return (await console.recv_type("ack"))["seq"]


async def public(console, conversation_id, body, client_id):
    await console.send({"type": "message", "conversation_id": conversation_id, "client_id": client_id, "body": body})
    return (await console.recv_type("ack"))["seq"]


async def test_a_note_reaches_the_agents_in_the_conversation_but_not_the_visitor(channel, agent):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await visitor.wait_for_seq(2)
    await visitor.drain()
    seq = await note(console, conv_id, "customer seems upset", "n1")
    echoed = await console.wait_for_seq(seq)
    assert echoed[-1]["internal"] is True and echoed[-1]["body"] == "customer seems upset"
    # Nothing at all reaches the visitor: no message, and no view change betraying the note.
    assert await visitor.nothing(0.4)
    await visitor.close()
    await console.close()


async def test_the_public_message_after_a_note_arrives_without_the_note(channel, agent):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await visitor.wait_for_seq(2)
    noted = await note(console, conv_id, "SECRET note", "n1")
    answered = await public(console, conv_id, "Happy to help", "p1")
    await visitor.wait_for_seq(answered)
    await visitor.drain()
    assert [m["seq"] for m in visitor.seen] == [1, 2, answered]
    assert noted not in [m["seq"] for m in visitor.seen]
    assert all("SECRET" not in m["body"] for m in visitor.seen)
    await visitor.close()
    await console.close()


async def test_a_replay_leaves_notes_out(channel, agent):
    visitor, welcome, conv_id = await visitor_with_conversation(channel.public_key)
    await visitor.close()
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await note(console, conv_id, "SECRET note", "n1")
    answered = await public(console, conv_id, "Hello!", "p1")
    again, _ = await widget(channel.public_key, token=welcome["visitor_token"], last_seq=0)
    replay = await again.recv_type("replay")
    assert [m["seq"] for m in replay["messages"]] == [1, 2, answered]
    assert not any(m["internal"] for m in replay["messages"])
    await again.close()
    await console.close()


async def test_pong_and_welcome_give_the_last_public_seq_not_a_notes(channel, agent):
    visitor, welcome, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await visitor.wait_for_seq(2)
    await note(console, conv_id, "note", "n1")
    await visitor.send({"type": "ping"})
    assert (await visitor.recv_type("pong"))["last_seq"] == 2
    await visitor.close()
    again, back = await widget(channel.public_key, token=welcome["visitor_token"], last_seq=2)
    assert back["conversation"]["last_seq"] == 2
    await again.close()
    await console.close()


async def test_a_note_does_not_move_the_read_mark_the_visitor_sees(channel, agent):
    visitor, welcome, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await note(console, conv_id, "note", "n1")
    await visitor.close()
    again, back = await widget(channel.public_key, token=welcome["visitor_token"], last_seq=2)
    assert back["conversation"]["agent_last_read_seq"] <= back["conversation"]["last_seq"]
    await again.close()
    await console.close()


async def test_internal_typing_is_not_shown_to_the_visitor(channel, agent):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await visitor.wait_for_seq(2)
    await visitor.drain()
    await console.send({"type": "typing", "conversation_id": conv_id, "is_typing": True, "internal": True})
    assert await visitor.nothing(0.4)
    await console.send({"type": "typing", "conversation_id": conv_id, "is_typing": True})
    typing = await visitor.recv_type("typing")
    assert typing == {"type": "typing", "from": "agent", "name": agent.display_name, "is_typing": True}
    await visitor.close()
    await console.close()


def _attachment_on_a_note(agent, conversation_id):
    upload = SimpleUploadedFile("notes.txt", b"internal findings", content_type="text/plain")
    attachment = services.store_attachment(conversation_id=conversation_id, sender=services.Sender.for_agent(agent), upload=upload)
    from django.utils import timezone

    services.agent_post_message(
        agent=agent,
        conversation_id=conversation_id,
        body="see file",
        client_id="n-file",
        internal=True,
        attachment_ids=[attachment.pk],
        now=timezone.now(),
    )
    return attachment


async def test_an_attachment_on_a_note_is_not_found_for_the_visitor(channel, agent):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    attachment = await sync_to_async(_attachment_on_a_note)(agent, conv_id)
    conversation = await sync_to_async(lambda: attachment.conversation)()
    with pytest.raises(NotFound):
        await sync_to_async(access_attachment_for_visitor)(
            customer_id=conversation.customer_id, channel_id=conversation.channel_id, attachment_id=attachment.pk
        )
    await visitor.send({"type": "resume", "last_seq": 0})
    replay = await visitor.recv_type("replay")
    assert all(a["id"] != attachment.pk for m in replay["messages"] for a in m["attachments"])
    await visitor.close()
    await console.close()


async def test_a_visitor_cannot_write_a_note(channel):
    visitor, _, _ = await visitor_with_conversation(channel.public_key)
    await visitor.send({"type": "message", "client_id": "sneaky", "body": "I am staff", "internal": True})
    ack = await visitor.recv_type("ack")
    await visitor.wait_for_seq(ack["seq"])
    assert visitor.seen[-1]["internal"] is False
    await visitor.close()
