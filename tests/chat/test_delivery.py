"""No lost or duplicated messages: acks, retries, resume, replay pages, gap filling, ordering."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.utils import timezone

from chat import services
from chat.models import Conversation, Message
from contactcenter.core.events import collecting, send_collected
from tests.chat.wsclient import agent_socket, taken_by, visitor_with_conversation, widget
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def seqs(messages):
    return [m["seq"] for m in messages]


async def agent_says(agent, conversation_id, body, *, client_id=None, internal=False, publish=True):
    """Post as an agent straight through the service (as another server process would)."""
    kwargs = {"agent": agent, "conversation_id": conversation_id, "body": body, "client_id": client_id, "internal": internal}
    with collecting() as events:
        result = await sync_to_async(services.agent_post_message)(now=timezone.now(), **kwargs)
    if publish:
        await send_collected(events)
    return result.message.seq


async def test_a_message_is_acked_with_its_stored_seq_then_echoed(channel):
    visitor, _ = await widget(channel.public_key)
    await visitor.send({"type": "message", "client_id": "m-1", "body": "Hi"})
    conversation = await visitor.recv()
    assert conversation["type"] == "conversation" and conversation["conversation"]["last_seq"] == 0
    ack = await visitor.recv()
    assert ack == {"type": "ack", "client_id": "m-1", "conversation_id": conversation["conversation"]["id"], "seq": 1, "duplicate": False}
    echo = await visitor.recv_type("message")
    assert echo["message"]["seq"] == 1 and echo["message"]["client_id"] == "m-1"
    await visitor.close()


async def test_a_retried_client_id_is_stored_once_and_acked_with_the_same_seq(channel):
    visitor, _ = await widget(channel.public_key)
    await visitor.send({"type": "message", "client_id": "same", "body": "Hi"})
    first = await visitor.recv_type("ack")
    await visitor.send({"type": "message", "client_id": "same", "body": "Hi"})
    again = await visitor.recv_type("ack")
    assert again["seq"] == first["seq"] and again["duplicate"] is True
    assert await Message.objects.filter(client_id="same").acount() == 1
    await visitor.close()


async def test_a_retry_after_reconnecting_is_acked_as_a_duplicate(channel):
    visitor, welcome = await widget(channel.public_key)
    await visitor.send({"type": "message", "client_id": "before-drop", "body": "Are you there?"})
    first = await visitor.recv_type("ack")
    await visitor.close()
    again, _ = await widget(channel.public_key, token=welcome["visitor_token"], last_seq=1)
    await again.send({"type": "message", "client_id": "before-drop", "body": "Are you there?"})
    ack = await again.recv_type("ack")
    assert (ack["conversation_id"], ack["seq"], ack["duplicate"]) == (first["conversation_id"], 1, True)
    assert await Message.objects.filter(conversation_id=first["conversation_id"]).acount() == 1
    await again.close()


async def test_a_returning_visitor_gets_live_messages_after_the_replay(channel, agent):
    visitor, welcome, conv_id = await visitor_with_conversation(channel.public_key)
    await visitor.close()
    again, back = await widget(channel.public_key, token=welcome["visitor_token"], last_seq=1)
    assert back["conversation"]["id"] == conv_id
    assert (await again.recv_type("replay"))["messages"] == []
    supervisor = await sync_to_async(AgentFactory)(role="supervisor")
    seq = await agent_says(supervisor, conv_id, "Welcome back")
    got = await again.recv_type("message")
    assert got["message"]["seq"] == seq and got["message"]["body"] == "Welcome back"
    await again.close()


async def test_resume_after_a_disconnect_replays_exactly_the_missed_messages_once_in_order(channel, agent):
    visitor, welcome, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)  # seq 2: "agent joined"
    await visitor.wait_for_seq(2)
    await visitor.close()
    for i in range(3):
        await console.send({"type": "message", "conversation_id": conv_id, "client_id": f"a{i}", "body": f"reply {i}"})
        await console.recv_type("ack")
    again, _ = await widget(channel.public_key, token=welcome["visitor_token"], last_seq=2)
    replay = await again.recv_type("replay")
    assert replay["more"] is False
    assert [(m["seq"], m["body"]) for m in replay["messages"]] == [(3, "reply 0"), (4, "reply 1"), (5, "reply 2")]
    await console.send({"type": "message", "conversation_id": conv_id, "client_id": "a3", "body": "live"})
    await again.wait_for_seq(6)
    assert seqs(again.seen) == [3, 4, 5, 6]
    assert await again.no_more_messages()
    await again.close()
    await console.close()


async def test_resume_frame_on_an_open_socket_replays_from_the_given_seq(channel):
    visitor, _, _ = await visitor_with_conversation(channel.public_key)
    await visitor.send({"type": "message", "client_id": "two", "body": "second"})
    await visitor.wait_for_seq(2)
    await visitor.send({"type": "resume", "last_seq": 0})
    replay = await visitor.recv_type("replay")
    assert seqs(replay["messages"]) == [1, 2] and replay["more"] is False
    await visitor.close()


async def test_resume_without_a_conversation_is_an_empty_replay(channel):
    visitor, _ = await widget(channel.public_key)
    await visitor.send({"type": "resume", "last_seq": 0})
    assert await visitor.recv() == {"type": "replay", "conversation_id": None, "messages": [], "more": False}
    await visitor.close()


def _bulk_history(conversation_id, count):
    Message.objects.bulk_create(
        [Message(conversation_id=conversation_id, seq=seq, sender_kind="visitor", body=f"m{seq}") for seq in range(2, count + 1)]
    )
    Conversation.objects.filter(pk=conversation_id).update(last_seq=count)


async def test_a_long_backlog_is_replayed_in_pages_of_200_with_more(channel):
    visitor, welcome, conv_id = await visitor_with_conversation(channel.public_key)
    await visitor.close()
    await sync_to_async(_bulk_history)(conv_id, 450)
    again, _ = await widget(channel.public_key, token=welcome["visitor_token"], last_seq=0)
    pages = [await again.recv_type("replay") for _ in range(3)]
    assert [len(p["messages"]) for p in pages] == [200, 200, 50]
    assert [p["more"] for p in pages] == [True, True, False]
    assert seqs(again.seen) == list(range(1, 451))
    assert await again.no_more_messages()
    await again.close()


async def test_a_backlog_of_exactly_one_page_ends_with_an_empty_last_page(channel):
    visitor, welcome, conv_id = await visitor_with_conversation(channel.public_key)
    await visitor.close()
    await sync_to_async(_bulk_history)(conv_id, 200)
    again, _ = await widget(channel.public_key, token=welcome["visitor_token"], last_seq=0)
    first, last = await again.recv_type("replay"), await again.recv_type("replay")
    assert (len(first["messages"]), first["more"]) == (200, True)
    assert (last["messages"], last["more"]) == ([], False)
    await again.close()


async def test_a_lost_live_event_is_filled_from_the_database_when_the_next_one_arrives(channel):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    await visitor.wait_for_seq(1)
    supervisor = await sync_to_async(AgentFactory)(role="supervisor")
    lost = await agent_says(supervisor, conv_id, "this event is lost", publish=False)
    assert await visitor.no_more_messages()
    live = await agent_says(supervisor, conv_id, "this one arrives")
    await visitor.wait_for_seq(live)
    assert seqs(visitor.seen) == [1, lost, live]
    assert await visitor.no_more_messages()
    await visitor.close()


async def test_pong_tells_the_last_seq_so_a_client_can_notice_a_lost_last_event(channel):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    await visitor.wait_for_seq(1)
    supervisor = await sync_to_async(AgentFactory)(role="supervisor")
    lost = await agent_says(supervisor, conv_id, "lost", publish=False)
    await visitor.send({"type": "ping"})
    assert await visitor.recv_type("pong") == {"type": "pong", "last_seq": lost}
    await visitor.send({"type": "resume", "last_seq": 1})
    assert seqs((await visitor.recv_type("replay"))["messages"]) == [lost]
    await visitor.close()


async def test_events_that_arrive_twice_or_late_are_delivered_once(channel):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    await visitor.wait_for_seq(1)
    supervisor = await sync_to_async(AgentFactory)(role="supervisor")
    with collecting() as first_events:
        await agent_says(supervisor, conv_id, "two", publish=False)
    second = await agent_says(supervisor, conv_id, "three", publish=False)
    # Another process's event for seq 3 overtakes seq 2's; then both arrive again.
    with collecting() as events:
        await sync_to_async(services.agent_post_message)(
            agent=supervisor, conversation_id=conv_id, body="four", client_id=None, now=timezone.now()
        )
    await send_collected(events)
    await visitor.wait_for_seq(4)
    await send_collected(first_events)
    await send_collected(events)
    assert await visitor.no_more_messages()
    assert seqs(visitor.seen) == [1, 2, second, 4]
    await visitor.close()


async def test_the_first_message_opens_the_conversation_before_posting_so_a_quick_reply_is_not_missed(channel, monkeypatch):
    """Another process replies between the visitor's commit and its ack: the socket must already listen."""
    supervisor = await sync_to_async(AgentFactory)(role="supervisor")
    original = services.post_message

    def post_then_a_reply_from_elsewhere(**kwargs):
        result = original(**kwargs)
        with collecting() as events:
            original(
                conversation_id=result.message.conversation_id,
                sender=services.Sender.for_agent(supervisor),
                body="quick",
                client_id=None,
                now=timezone.now(),
            )
        async_to_sync(send_collected)(events)  # sent at once, as another node would
        return result

    monkeypatch.setattr(services, "post_message", post_then_a_reply_from_elsewhere)
    visitor, _ = await widget(channel.public_key)
    await visitor.send({"type": "message", "client_id": "first", "body": "hi"})
    await visitor.wait_for_seq(2)
    assert [(m["seq"], m["body"]) for m in visitor.seen] == [(1, "hi"), (2, "quick")]
    await visitor.close()


async def test_messages_from_both_sides_arrive_in_seq_order_on_both_sockets(channel, agent):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    for i in range(5):
        await visitor.send({"type": "message", "client_id": f"v{i}", "body": f"v{i}"})
        await console.send({"type": "message", "conversation_id": conv_id, "client_id": f"a{i}", "body": f"a{i}"})
    await visitor.wait_for_seq(12)
    await console.wait_for_seq(12)
    assert seqs(visitor.seen) == list(range(1, 13))
    assert seqs(console.seen) == list(range(1, 13))
    await visitor.close()
    await console.close()


async def test_a_message_to_a_closed_conversation_starts_a_new_one(channel):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    await Conversation.objects.filter(pk=conv_id).aupdate(status=Conversation.Status.CLOSED)
    await visitor.send({"type": "message", "client_id": "after-close", "body": "one more thing"})
    fresh = await visitor.recv_type("conversation")
    assert fresh["conversation"]["id"] != conv_id and fresh["conversation"]["status"] == "queued"
    ack = await visitor.recv_type("ack")
    assert (ack["conversation_id"], ack["seq"]) == (fresh["conversation"]["id"], 1)
    await visitor.close()


async def test_a_visitor_message_reopens_a_resolved_conversation(channel, agent):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await console.send({"type": "resolve", "conversation_id": conv_id})
    await console.recv_type("resolved")
    await visitor.recv_until(lambda f: f["type"] == "conversation" and f["conversation"]["status"] == "resolved")
    await visitor.send({"type": "message", "client_id": "again", "body": "one more question"})
    assert (await visitor.recv_type("ack"))["conversation_id"] == conv_id
    reopened = await visitor.recv_type("conversation")
    assert (reopened["conversation"]["id"], reopened["conversation"]["status"]) == (conv_id, "open")
    await visitor.close()
    await console.close()


async def test_live_delivery_costs_one_worker_thread_hop_per_message_and_none_per_recipient(channel, agent, monkeypatch):
    import chat.realtime.agent
    import chat.realtime.base
    import chat.realtime.widget

    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    await visitor.wait_for_seq(2)
    hops = []
    real = chat.realtime.base.database_sync_to_async

    def counting(fn, *args, **kwargs):
        hops.append(getattr(fn, "__name__", repr(fn)))
        return real(fn, *args, **kwargs)

    for module in (chat.realtime.base, chat.realtime.widget, chat.realtime.agent):
        monkeypatch.setattr(module, "database_sync_to_async", counting)
    for i in range(5):
        await console.send({"type": "message", "conversation_id": conv_id, "client_id": f"a{i}", "body": f"a{i}"})
        await visitor.wait_for_seq(3 + 2 * i)
        await visitor.send({"type": "message", "client_id": f"v{i}", "body": f"v{i}"})
        await console.wait_for_seq(4 + 2 * i)
    await visitor.wait_for_seq(12)
    assert sorted(hops) == ["agent_post_message"] * 5 + ["post_message"] * 5


async def test_a_last_seq_beyond_the_conversation_does_not_swallow_later_messages(channel):
    """A client may hold a seq of another (older, closed) conversation: the server must not trust it blindly."""
    visitor, welcome, conv_id = await visitor_with_conversation(channel.public_key)
    await visitor.close()
    supervisor = await sync_to_async(AgentFactory)(role="supervisor")
    again, _ = await widget(channel.public_key, token=welcome["visitor_token"], last_seq=50)
    seq = await agent_says(supervisor, conv_id, "still here")
    await again.wait_for_seq(seq)
    await again.send({"type": "resume", "last_seq": 70})
    assert (await again.recv_type("replay"))["messages"] == []
    later = await agent_says(supervisor, conv_id, "and now")
    await again.wait_for_seq(later)
    await again.close()


async def test_an_agent_joining_with_a_last_seq_beyond_the_conversation_still_gets_new_messages(channel, agent):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await console.send({"type": "take", "conversation_id": conv_id})
    await console.recv_type("taken")
    await console.send({"type": "join", "conversation_id": conv_id, "last_seq": 99})
    await console.recv_type("replay")
    await visitor.send({"type": "message", "client_id": "after-join", "body": "hello?"})
    await console.wait_for_seq(3)
    await visitor.close()
    await console.close()


async def test_a_heartbeat_brings_a_lost_last_message_before_the_pong(channel):
    visitor, _, conv_id = await visitor_with_conversation(channel.public_key)
    await visitor.wait_for_seq(1)
    supervisor = await sync_to_async(AgentFactory)(role="supervisor")
    lost = await agent_says(supervisor, conv_id, "the event of this one is lost", publish=False)
    await visitor.send({"type": "ping"})
    frames = []
    while not frames or frames[-1]["type"] != "pong":
        frames.append(await visitor.recv())
    assert [f["type"] for f in frames if f["type"] in ("replay", "pong")] == ["replay", "pong"]
    assert seqs(visitor.seen) == [1, lost] and frames[-1]["last_seq"] == lost


async def test_an_agents_heartbeat_brings_lost_last_messages_of_joined_conversations(channel, agent):
    _, _, conv_id = await visitor_with_conversation(channel.public_key)
    console, _ = await agent_socket(agent.user)
    await taken_by(console, conv_id)
    conversation = await Conversation.objects.aget(pk=conv_id)
    with collecting():  # the events are collected and dropped: lost
        lost = await sync_to_async(services.post_message)(
            conversation_id=conv_id,
            sender=services.Sender.visitor(conversation.customer_id),
            body="lost",
            client_id=None,
            now=timezone.now(),
        )
    assert await console.no_more_messages()
    await console.send({"type": "ping"})
    await console.recv_type("pong")
    assert seqs(console.seen) == [1, 2, lost.message.seq]
