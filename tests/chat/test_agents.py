"""The agent socket: take, capacity, take-before-reply, team boundaries, typing, read receipts."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from chat.models import Conversation
from tests.chat.wsclient import agent_socket, taken_by, visitor_with_conversation, widget
from tests.factories import AgentFactory, ChannelFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def test_two_agents_taking_at_once_one_wins_and_the_other_gets_already_taken(channel, agent):
    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    other = await sync_to_async(AgentFactory)(teams=[channel.team])
    first, _ = await agent_socket(agent.user)
    second, _ = await agent_socket(other.user)
    await asyncio.gather(
        first.send({"type": "take", "conversation_id": conv_id}), second.send({"type": "take", "conversation_id": conv_id})
    )
    answers = [
        await first.recv_until(lambda f: f["type"] in ("taken", "error")),
        await second.recv_until(lambda f: f["type"] in ("taken", "error")),
    ]
    assert sorted(a["type"] for a in answers) == ["error", "taken"]
    loser = next(a for a in answers if a["type"] == "error")
    assert loser["code"] == "conflict" and loser["details"]["reason"] == "already_taken"
    winner = agent if answers[0]["type"] == "taken" else other
    assert (await Conversation.objects.aget(pk=conv_id)).assignee_id == winner.pk


async def test_taking_is_announced_to_the_visitor_with_the_agents_name(channel, agent):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    frames = await visitor.drain()
    view = next(f for f in frames if f["type"] == "conversation" and f["conversation"]["agent"] is not None)
    assert view["conversation"]["agent"] == {"name": agent.display_name} and view["conversation"]["status"] == "open"
    joined = next(f for f in frames if f["type"] == "message" and f["message"]["sender"]["kind"] == "system")
    assert joined["message"]["meta"] == {"event": "agent_joined", "agent_name": agent.display_name}


async def test_a_retried_take_by_the_assignee_succeeds(channel, agent):
    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await console.send({"type": "take", "conversation_id": conv_id})
    await console.recv_type("taken")
    await console.send({"type": "take", "conversation_id": conv_id})
    assert (await console.recv_until(lambda f: f["type"] in ("taken", "error")))["type"] == "taken"


async def test_an_agent_at_capacity_gets_conflict_at_capacity(channel):
    busy = await sync_to_async(AgentFactory)(teams=[channel.team], max_concurrent_chats=1)
    _, _, first_id = await visitor_with_conversation(channel.public_key)
    _, _, second_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(busy.user)
    await console.send({"type": "take", "conversation_id": first_id})
    await console.recv_type("taken")
    await console.send({"type": "take", "conversation_id": second_id})
    error = await console.recv_error()
    assert error["code"] == "conflict" and error["details"]["reason"] == "at_capacity"
    assert (await Conversation.objects.aget(pk=second_id)).assignee_id is None


async def test_a_public_reply_needs_a_take_first_but_a_note_does_not(channel, agent):
    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await console.send({"type": "message", "conversation_id": conv_id, "client_id": "r1", "body": "hi"})
    error = await console.recv_error()
    assert error["code"] == "forbidden" and error["details"]["reason"] == "take_first" and error["ref"] == "r1"
    await console.send({"type": "message", "conversation_id": conv_id, "client_id": "n1", "body": "note", "internal": True})
    assert (await console.recv_type("ack"))["seq"] == 2


async def test_a_supervisor_may_reply_without_taking(channel):
    supervisor = await sync_to_async(AgentFactory)(role="supervisor")
    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(supervisor.user)
    await console.send({"type": "message", "conversation_id": conv_id, "client_id": "s1", "body": "hi"})
    assert (await console.recv_type("ack"))["seq"] == 2


async def test_another_agent_cannot_reply_in_a_conversation_someone_took(channel, agent):
    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    colleague = await sync_to_async(AgentFactory)(teams=[channel.team])
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    other, _ = await agent_socket(colleague.user)
    await other.send({"type": "message", "conversation_id": conv_id, "client_id": "x1", "body": "me too"})
    assert (await other.recv_error())["details"]["reason"] == "take_first"
    await other.send({"type": "take", "conversation_id": conv_id})
    assert (await other.recv_error())["details"]["reason"] == "already_taken"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "join", "last_seq": 0},
        {"type": "take"},
        {"type": "message", "client_id": "c1", "body": "hi"},
        {"type": "message", "client_id": "c2", "body": "hi", "internal": True},
        {"type": "read", "seq": 1},
        {"type": "resolve"},
    ],
    ids=["join", "take", "message", "note", "read", "resolve"],
)
async def test_an_agent_of_another_team_gets_not_found_for_everything(channel, frame):
    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    outsider = await sync_to_async(AgentFactory)(teams=[(await sync_to_async(ChannelFactory)()).team])
    console, _ = await agent_socket(outsider.user)
    await console.send({**frame, "conversation_id": conv_id})
    error = await console.recv_error()
    assert error["code"] == "not_found"
    # Same answer as for an id that does not exist at all.
    await console.send({**frame, "conversation_id": conv_id + 1000})
    assert (await console.recv_error())["message"] == error["message"]


async def test_an_outsider_cannot_learn_which_client_ids_exist(channel, agent):
    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    outsider = await sync_to_async(AgentFactory)(teams=[(await sync_to_async(ChannelFactory)()).team])
    console, _ = await agent_socket(outsider.user)
    # "first" is the visitor's client_id: a leak would answer conflict instead of not_found.
    await console.send({"type": "message", "conversation_id": conv_id, "client_id": "first", "body": "x", "internal": True})
    assert (await console.recv_error())["code"] == "not_found"


async def test_an_outsider_does_not_see_the_conversation_in_the_inbox(channel):
    await visitor_with_conversation(channel.public_key)
    outsider = await sync_to_async(AgentFactory)(teams=[(await sync_to_async(ChannelFactory)()).team])
    _, ready = await agent_socket(outsider.user)
    assert ready["inbox"] == {"mine": [], "unassigned": []}


async def test_a_new_conversation_appears_live_in_the_teams_unassigned_list(channel, agent):
    console, _ = await agent_socket(agent.user)
    _, _, conv_id = await visitor_with_conversation(channel.public_key, body="I need help")
    update = await console.recv_until(lambda f: f["type"] == "conversation" and f["conversation"]["last_body"] == "I need help")
    assert update["conversation"]["id"] == conv_id and update["conversation"]["unread"] == 1


async def test_typing_goes_both_ways(channel, agent):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await visitor.send({"type": "typing", "is_typing": True})
    typing = await console.recv_type("typing")
    assert typing == {"type": "typing", "conversation_id": conv_id, "from": "visitor", "is_typing": True, "name": "", "internal": False}
    await console.send({"type": "typing", "conversation_id": conv_id, "is_typing": False})
    assert (await visitor.recv_type("typing"))["is_typing"] is False


async def test_an_agent_does_not_get_its_own_typing_back(channel, agent):
    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await console.send({"type": "typing", "conversation_id": conv_id, "is_typing": True})
    assert not [f for f in await console.drain(0.3) if f["type"] == "typing"]


async def test_typing_in_a_conversation_not_joined_is_not_found(channel, agent):
    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await console.send({"type": "typing", "conversation_id": conv_id, "is_typing": True})
    assert (await console.recv_error())["code"] == "not_found"


async def test_read_receipts_go_both_ways(channel, agent):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await console.send({"type": "read", "conversation_id": conv_id, "seq": 1})
    assert await visitor.recv_type("read") == {"type": "read", "by": "agent", "seq": 1}
    await visitor.send({"type": "read", "seq": 2})
    receipt = await console.recv_until(lambda f: f["type"] == "read" and f["by"] == "visitor")
    assert receipt == {"type": "read", "conversation_id": conv_id, "by": "visitor", "seq": 2}


async def test_read_marks_only_move_forward(channel, agent):
    visitor, _welcome, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await visitor.send({"type": "message", "client_id": "second", "body": "two"})
    await visitor.wait_for_seq(3)
    await console.send({"type": "read", "conversation_id": conv_id, "seq": 3})
    await console.send({"type": "read", "conversation_id": conv_id, "seq": 1})
    await console.send({"type": "ping"})
    await console.recv_type("pong")
    conversation = await Conversation.objects.aget(pk=conv_id)
    assert (conversation.agent_last_read_seq, conversation.unread_for_agent) == (3, 0)
    receipts = [f for f in await visitor.drain() if f["type"] == "read"]
    assert [r["seq"] for r in receipts] == [3]


async def test_reading_clears_the_unread_count_in_the_agents_list(channel, agent):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await visitor.send({"type": "message", "client_id": "second", "body": "two"})
    update = await console.recv_until(lambda f: f["type"] == "conversation" and f["conversation"]["last_body"] == "two")
    assert update["conversation"]["unread"] == 2
    await console.send({"type": "read", "conversation_id": conv_id, "seq": 3})
    cleared = await console.recv_until(lambda f: f["type"] == "conversation" and f["conversation"]["unread"] == 0)
    assert cleared["conversation"]["id"] == conv_id


async def test_a_visitor_read_beyond_the_last_seq_is_clamped(channel):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    await visitor.send({"type": "read", "seq": 999})
    await visitor.send({"type": "ping"})
    await visitor.recv_type("pong")
    assert (await Conversation.objects.aget(pk=conv_id)).visitor_last_read_seq == 1


async def test_resolve_is_confirmed_and_the_visitor_sees_the_status(channel, agent):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await console.send({"type": "resolve", "conversation_id": conv_id})
    assert await console.recv_type("resolved") == {"type": "resolved", "conversation_id": conv_id}
    view = await visitor.recv_until(lambda f: f["type"] == "conversation" and f["conversation"]["status"] == "resolved")
    assert view["conversation"]["id"] == conv_id


async def test_leave_stops_the_conversations_live_events(channel, agent):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await console.send({"type": "leave", "conversation_id": conv_id})
    assert await console.recv_type("left") == {"type": "left", "conversation_id": conv_id}
    await visitor.send({"type": "message", "client_id": "unheard", "body": "hello?"})
    await visitor.recv_type("ack")
    assert await console.no_more_messages()


async def test_status_change_is_refused_for_an_unknown_status_and_accepted_for_a_known_one(agent):
    console, _ = await agent_socket(agent.user)
    await console.send({"type": "status", "status": "napping"})
    assert (await console.recv_error())["code"] == "invalid"
    await console.send({"type": "status", "status": "away"})
    assert await console.recv_type("agent_status") == {"type": "agent_status", "agent_id": agent.pk, "status": "away"}


async def test_welcome_says_whether_agents_are_online(channel, agent):
    _, _ready = await agent_socket(agent.user)
    _, welcome = await widget(channel.public_key)
    assert welcome["agents_online"] is True


async def test_a_conversation_started_while_the_console_connects_is_not_missed(channel, agent, monkeypatch):
    """The inbox snapshot is read, then a visitor starts a conversation, then the console listens: it must already listen."""
    from asgiref.sync import async_to_sync
    from django.utils import timezone

    from chat import selectors, services
    from contactcenter.core.events import collecting, send_collected
    from tests.factories import CustomerFactory

    original = selectors.agent_inbox
    started = {}

    def snapshot_then_a_new_conversation(*, agent):
        inbox = original(agent=agent)
        with collecting() as events:
            conversation = services.start_conversation(channel=channel, customer=CustomerFactory(), language="en")
            services.post_message(
                conversation_id=conversation.pk,
                sender=services.Sender.visitor(conversation.customer_id),
                body="during connect",
                client_id=None,
                now=timezone.now(),
            )
        async_to_sync(send_collected)(events)
        started["id"] = conversation.pk
        return inbox

    monkeypatch.setattr(selectors, "agent_inbox", snapshot_then_a_new_conversation)
    console, ready = await agent_socket(agent.user)
    assert ready["inbox"]["unassigned"] == []
    update = await console.recv_type("conversation")
    assert update["conversation"]["id"] == started["id"]


async def test_a_reply_to_a_closed_conversation_is_a_conflict(channel, agent):
    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await Conversation.objects.filter(pk=conv_id).aupdate(status=Conversation.Status.CLOSED)
    await console.send({"type": "message", "conversation_id": conv_id, "client_id": "late", "body": "hello?"})
    error = await console.recv_error()
    assert (error["code"], error["details"]["reason"], error["ref"]) == ("conflict", "conversation_closed", "late")
    await console.send({"type": "ping"})
    assert (await console.recv_type("pong"))["type"] == "pong"


async def test_an_agent_reusing_the_visitors_client_id_gets_a_conflict(channel, agent):
    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await console.send({"type": "message", "conversation_id": conv_id, "client_id": "first", "body": "copy"})
    error = await console.recv_error()
    assert (error["code"], error["details"]["reason"]) == ("conflict", "client_id_in_use")
