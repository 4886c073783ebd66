"""Every routing strategy end to end in chat: visitors write at real widget sockets, agents are offered
the chats at real console sockets, and what routing stored agrees with what each of them saw."""

from __future__ import annotations

from typing import Any

import pytest

from chat.models import Conversation
from routing.models import Offer, Queue, QueueEntry, SourceRule
from tests.chat.routing_world import (
    Console,
    Visitor,
    World,
    agent,
    assignee_name,
    console,
    consoles,
    conversation,
    db,
    entry,
    later,
    offers,
    other_queue,
    pointer,
    sweep,
    tag_visitor,
    visitor,
    world,
)
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db(transaction=True)
Status = QueueEntry.Status


async def served_by(agent_console: Console, client: Visitor, body: str) -> int:
    """The visitor writes, this agent is offered the chat and accepts it; the conversation id."""
    conversation_id = await client.say(body)
    await agent_console.take_offered(conversation_id)
    return conversation_id


async def resolved(agent_console: Console, conversation_id: int) -> None:
    await agent_console.answers({"type": "resolve", "conversation_id": conversation_id}, "resolved")


# -- round robin ----------------------------------------------------------------------------------


async def test_round_robin_rotates_chats_across_three_agents_and_keeps_its_pointer_between_chats():
    w = await world(strategy="round_robin")
    ann, bob, cat = await consoles(w.team, "Ann", "Bob", "Cat")
    chats = []
    for n, expected in enumerate([ann, bob, cat, ann]):
        client = await visitor(w.channel)
        conversation_id = await client.say(f"Question {n}")
        assigned = await expected.take_offered(conversation_id)
        assert assigned["via"] == "offer"
        joined = await client.system_message("agent_joined")
        assert joined["meta"]["agent_name"] == expected.agent.display_name
        # Each chat had a sweep of its own: the pointer was read back from the database every time.
        assert await pointer(w.queue) == expected.agent.pk
        stored = await entry(conversation_id)
        assert (stored.status, stored.assigned_agent_id) == (Status.ASSIGNED, expected.agent.pk)
        assert await assignee_name(conversation_id) == expected.agent.display_name
        chats.append(conversation_id)
    for each in (ann, bob, cat):
        await each.settle()
    assert (ann.offered(), bob.offered(), cat.offered()) == ([chats[0], chats[3]], [chats[1]], [chats[2]])


# -- least load -----------------------------------------------------------------------------------


async def least_load_after_a_busy_morning(measure: str) -> tuple[Console, Console, Visitor, int]:
    """Ann served two chats today and resolved both (now 0 in hand, 2 today); Bob holds one (1 in hand,
    1 today). Then one more visitor writes: the two measures disagree about who is least loaded."""
    w = await world(strategy="least_load", params={"measure": measure})
    ann = await console(await agent(w.team, "Ann"))
    for n in range(2):
        await resolved(ann, await served_by(ann, await visitor(w.channel), f"Morning {n}"))
    bob = await console(await agent(w.team, "Bob"))
    await served_by(bob, await visitor(w.channel), "Bob's chat")  # 0 in hand each; Bob was never assigned
    client = await visitor(w.channel)
    return ann, bob, client, await client.say("Afternoon question")


async def test_least_load_by_current_load_offers_the_chat_to_the_agent_with_fewest_chats_in_hand():
    ann, bob, client, conversation_id = await least_load_after_a_busy_morning("current")
    await ann.take_offered(conversation_id)
    await bob.settle()
    assert conversation_id not in bob.offered()
    assert await client.joined_by() == "Ann"
    assert (await entry(conversation_id)).assigned_agent_id == ann.agent.pk
    assert await assignee_name(conversation_id) == "Ann"


async def test_least_load_by_today_offers_the_chat_to_the_agent_with_fewest_chats_taken_today():
    ann, bob, client, conversation_id = await least_load_after_a_busy_morning("today")
    await bob.take_offered(conversation_id)
    await ann.settle()
    assert conversation_id not in ann.offered()
    assert await client.joined_by() == "Bob"
    assert (await entry(conversation_id)).assigned_agent_id == bob.agent.pk
    assert await assignee_name(conversation_id) == "Bob"


# -- returning customer (熟客) ---------------------------------------------------------------------


async def customer_served_by_bob(**params: Any) -> tuple[World, Console, Console, str]:
    """A returning-customer queue (falling back to round robin). A visitor's first chat was served by
    Bob while Ann was offline, and is closed; then Ann comes online. Round robin would pick Ann next."""
    w = await world(strategy="returning_customer", params={"wait_s": 20, "fallback": {"strategy": "round_robin"}, **params})
    ann = await console(await agent(w.team, "Ann", status="offline"))
    bob = await console(await agent(w.team, "Bob"))
    first = await visitor(w.channel)
    conversation_id = await served_by(bob, first, "My first question")
    await resolved(bob, conversation_id)
    await db(Conversation.objects.filter(pk=conversation_id).update)(status=Conversation.Status.CLOSED)
    await first.close()
    await ann.answers({"type": "status", "status": "online"}, "agent_status")
    assert await pointer(w.queue) == bob.agent.pk
    return w, ann, bob, first.token


async def test_returning_customer_offers_the_chat_to_the_agent_who_served_the_customer_before():
    w, ann, bob, token = await customer_served_by_bob()
    back = await visitor(w.channel, token=token)
    conversation_id = await back.say("It's me again")
    await bob.take_offered(conversation_id)
    assert await back.joined_by() == "Bob"
    assert await assignee_name(conversation_id) == "Bob"
    # A new customer in the same queue goes to round robin's pick, Ann: Bob got the first one as the
    # returning customer's agent, not by turn.
    newcomer = await visitor(w.channel)
    other_id = await newcomer.say("First time here")
    await ann.take_offered(other_id)
    await bob.settle()
    assert conversation_id not in ann.offered()
    assert other_id not in bob.offered()


async def test_returning_customer_waits_wait_s_for_the_away_last_agent_then_falls_back():
    w, ann, bob, token = await customer_served_by_bob(wait_when_away=True)
    await bob.answers({"type": "status", "status": "away"}, "agent_status")
    back = await visitor(w.channel, token=token)
    conversation_id = await back.say("It's me again")
    await ann.settle()
    waiting = await entry(conversation_id)
    assert waiting.status == Status.WAITING
    assert waiting.wait_until == later(waiting.enqueued_at, 20)
    await sweep(later(waiting.enqueued_at, 19))
    await ann.settle()
    assert conversation_id not in ann.offered()
    assert (await entry(conversation_id)).status == Status.WAITING

    await sweep(later(waiting.enqueued_at, 21))
    await ann.take_offered(conversation_id)
    assert await back.joined_by() == "Ann"
    await bob.settle()
    assert conversation_id not in bob.offered()
    assert await offers(conversation_id) == {"Ann": Offer.Status.ACCEPTED}
    assert await assignee_name(conversation_id) == "Ann"


async def test_returning_customer_offers_the_chat_to_the_last_agent_when_they_are_back_within_the_wait():
    w, ann, bob, token = await customer_served_by_bob(wait_when_away=True)
    await bob.answers({"type": "status", "status": "away"}, "agent_status")
    back = await visitor(w.channel, token=token)
    conversation_id = await back.say("It's me again")
    await ann.settle()
    assert (await entry(conversation_id)).status == Status.WAITING
    await bob.answers({"type": "status", "status": "online"}, "agent_status")
    await bob.take_offered(conversation_id)
    assert await back.joined_by() == "Bob"
    await ann.settle()
    assert conversation_id not in ann.offered()
    assert await offers(conversation_id) == {"Bob": Offer.Status.ACCEPTED}


# -- skill based ----------------------------------------------------------------------------------


async def test_skill_based_offers_the_chat_to_the_agent_with_the_highest_level_of_the_required_skill():
    w = await world(strategy="skill_based", required_skills={"billing": 2})
    ann = await console(await agent(w.team, "Ann"))
    bob = await console(await agent(w.team, "Bob", skills={"billing": 2}))
    cat = await console(await agent(w.team, "Cat", skills={"billing": 4}))
    client = await visitor(w.channel)
    conversation_id = await client.say("My invoice is wrong")
    await cat.take_offered(conversation_id)
    assert await client.joined_by() == "Cat"
    for other in (ann, bob):
        await other.settle()
        assert other.offered() == []
    stored = await entry(conversation_id)
    assert stored.required_skills == {"billing": 2}
    assert (stored.status, stored.assigned_agent_id) == (Status.ASSIGNED, cat.agent.pk)


async def test_skill_based_leaves_the_chat_waiting_while_only_agents_without_the_skill_are_online():
    w = await world(strategy="skill_based", required_skills={"billing": 2})
    ann = await console(await agent(w.team, "Ann"))
    dan = await console(await agent(w.team, "Dan", skills={"billing": 1}))
    client = await visitor(w.channel)
    conversation_id = await client.say("My invoice is wrong")
    for other in (ann, dan):
        await other.settle()
        assert other.offered() == []
    assert (await entry(conversation_id)).status == Status.WAITING
    assert client.positions()[-1] == 1
    # Someone with the skill connects: the waiting chat is theirs.
    bob = await console(await agent(w.team, "Bob", skills={"billing": 3}))
    await bob.take_offered(conversation_id)
    assert await client.joined_by() == "Bob"
    assert await assignee_name(conversation_id) == "Bob"


# -- source rules (来源分配) -----------------------------------------------------------------------

# name: (rule conditions, how the matching visitor arrives, how another visitor arrives); a visitor is
# (hello fields, first message); "extra_channel" in hello fields means the second channel of the site.
SOURCE_CASES: dict[str, tuple[dict[str, Any], tuple[dict[str, Any], str], tuple[dict[str, Any], str]]] = {
    "channel": ({"channel_ids": ["extra_channel"]}, ({"extra_channel": True}, "Hello"), ({}, "Hello")),
    "page_url": (
        {"page_url_globs": ["https://shop.example/pricing*"]},
        ({"page_url": "https://shop.example/pricing/teams"}, "Hello"),
        ({"page_url": "https://shop.example/cart"}, "Hello"),
    ),
    "keyword": ({"keywords": ["refund"]}, ({}, "I want a REFUND for order 12"), ({}, "Where is my parcel?")),
    "keyword_zh": ({"keywords": ["退款"]}, ({"language": "zh-CN"}, "我要退款"), ({"language": "zh-CN"}, "我的包裹在哪里")),
    "language": ({"languages": ["zh-hans"]}, ({"language": "zh-CN"}, "你好"), ({"language": "en"}, "Hello")),
}


@pytest.mark.parametrize("case", list(SOURCE_CASES))
async def test_a_source_rule_sends_matching_chats_to_its_queue_with_its_priority_and_others_to_the_channel_queue(case):
    conditions, (matching_hello, matching_body), (other_hello, other_body) = SOURCE_CASES[case]
    w = await world(strategy="round_robin")
    special = await other_queue(strategy="round_robin")
    extra_channel = await db(ChannelFactory)(team=w.team)
    conditions = {k: [extra_channel.pk if v == "extra_channel" else v for v in values] for k, values in conditions.items()}
    await db(SourceRule.objects.create)(name=case, position=1, queue=special, priority=5, **conditions)
    ann = await console(await agent(w.team, "Ann"))
    xia = await console(await agent(special.team, "Xia"))

    async def arrive(hello: dict[str, Any], body: str) -> tuple[Visitor, int]:
        hello = dict(hello)
        channel = extra_channel if hello.pop("extra_channel", False) else w.channel
        client = await visitor(channel, **hello)
        return client, await client.say(body)

    matching, matching_id = await arrive(matching_hello, matching_body)
    await xia.take_offered(matching_id)
    assert await matching.joined_by() == "Xia"
    routed = await entry(matching_id)
    assert (routed.queue_id, routed.priority, routed.assigned_agent_id) == (special.pk, 5, xia.agent.pk)
    assert (await conversation(matching_id)).team_id == special.team_id

    other, other_id = await arrive(other_hello, other_body)
    await ann.take_offered(other_id)
    assert await other.joined_by() == "Ann"
    assert ((await entry(other_id)).queue_id, (await entry(other_id)).priority) == (w.queue.pk, 0)
    await xia.settle()
    await ann.settle()
    assert (xia.offered(), ann.offered()) == ([matching_id], [other_id])


async def test_a_vip_customer_joins_the_vip_queue_and_is_served_before_an_earlier_normal_chat():
    w = await world(strategy="round_robin")
    vip_queue = await other_queue(strategy="round_robin")
    await db(Queue.objects.filter(pk=vip_queue.pk).update)(team=w.team)
    await db(SourceRule.objects.create)(name="VIP first", position=1, queue=vip_queue, priority=10, customer_tags=["vip"])
    ann = await console(await agent(w.team, "Ann", chats=1))
    busy_id = await served_by(ann, await visitor(w.channel), "Keeps Ann busy")
    normal = await visitor(w.channel)
    normal_id = await normal.say("I was here first")
    vip = await visitor(w.channel)
    await tag_visitor(vip, "vip")
    vip_id = await vip.say("I am a VIP")
    await ann.settle()
    assert ann.offered() == [busy_id]  # full: both wait
    vip_entry, normal_entry = await entry(vip_id), await entry(normal_id)
    assert (vip_entry.queue_id, vip_entry.priority, vip_entry.status) == (vip_queue.pk, 10, Status.WAITING)
    assert (normal_entry.queue_id, normal_entry.priority, normal_entry.status) == (w.queue.pk, 0, Status.WAITING)
    assert normal_entry.enqueued_at < vip_entry.enqueued_at

    await resolved(ann, busy_id)  # Ann's slot frees up: the VIP goes first
    await ann.take_offered(vip_id)
    assert await vip.joined_by() == "Ann"
    await ann.settle()
    assert normal_id not in ann.offered()
    assert (await entry(normal_id)).status == Status.WAITING
    assert await assignee_name(normal_id) is None


# -- ring all -------------------------------------------------------------------------------------


async def test_ring_all_offers_the_chat_to_every_agent_and_the_first_accept_wins():
    w = await world(strategy="ring_all")
    ann, bob, cat = await consoles(w.team, "Ann", "Bob", "Cat")
    client = await visitor(w.channel)
    conversation_id = await client.say("Anyone?")
    rung = {each.agent.display_name: await each.offer(conversation_id) for each in (ann, bob, cat)}
    assert len({offer["offer_id"] for offer in rung.values()}) == 3

    await bob.accept(rung["Bob"])
    for loser in (ann, cat):
        withdrawn = await loser.expect("offer_withdrawn", conversation_id)
        assert (withdrawn["conversation_id"], withdrawn["reason"]) == (conversation_id, "taken")
    late = await ann.answers({"type": "accept_offer", "offer_id": rung["Ann"]["offer_id"]}, "error")
    assert late["error"]["code"] == "offer_closed"
    assert await client.joined_by() == "Bob"
    assert client.system_events() == ["agent_joined"]
    assert await offers(conversation_id) == {"Ann": Offer.Status.EXPIRED, "Bob": Offer.Status.ACCEPTED, "Cat": Offer.Status.EXPIRED}
    stored = await entry(conversation_id)
    assert (stored.status, stored.assigned_agent_id) == (Status.ASSIGNED, bob.agent.pk)
    assert await assignee_name(conversation_id) == "Bob"
