"""A routed chat's life end to end, at real widget and console sockets: offers declined or timed out,
auto-accept, taking from the pool (抢单), transfers, overflow, a visitor leaving the line, wrap-up."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chat import routing_hooks
from chat.models import Conversation
from contactcenter.core.staff.models import AgentProfile
from routing.models import AgentRoutingState, Offer, QueueEntry
from routing.selectors import abandoned_count
from tests.chat.routing_world import (
    Console,
    agent,
    assignee_name,
    console,
    consoles,
    conversation,
    db,
    entries,
    entry,
    later,
    now,
    offers,
    other_queue,
    sweep,
    visitor,
    world,
)

pytestmark = pytest.mark.django_db(transaction=True)
Status = QueueEntry.Status


async def pause(*agents: Console) -> None:
    for each in agents:
        await each.answers({"type": "pause", "reason": "training"}, "paused")


# -- offers ---------------------------------------------------------------------------------------


async def test_a_declined_offer_moves_on_to_the_next_agent():
    w = await world(strategy="round_robin")
    ann, bob = await consoles(w.team, "Ann", "Bob")
    client = await visitor(w.channel)
    conversation_id = await client.say("Hello?")
    offer = await ann.offer(conversation_id)
    got = await ann.answers({"type": "decline_offer", "offer_id": offer["offer_id"]}, "offer_declined", "offer_withdrawn")
    assert got["offer_withdrawn"]["reason"] == "lapsed"
    await bob.take_offered(conversation_id)
    assert await client.joined_by() == "Bob"
    await ann.settle()
    assert ann.offered() == [conversation_id]  # once: she is not asked again
    assert await offers(conversation_id) == {"Ann": Offer.Status.DECLINED, "Bob": Offer.Status.ACCEPTED}
    stored = await entry(conversation_id)
    assert (stored.status, stored.assigned_agent_id, stored.excluded_agent_ids) == (Status.ASSIGNED, bob.agent.pk, [ann.agent.pk])
    assert await assignee_name(conversation_id) == "Bob"


async def test_an_offer_that_times_out_moves_on_to_the_next_agent():
    w = await world(strategy="round_robin", offer_timeout_s=10)
    ann, bob = await consoles(w.team, "Ann", "Bob")
    client = await visitor(w.channel)
    conversation_id = await client.say("Hello?")
    offer = await ann.offer(conversation_id)
    offered_at = (await db(Offer.objects.get)(pk=offer["offer_id"])).offered_at
    assert datetime.fromisoformat(offer["expires_at"]) == later(offered_at, 10)

    await sweep(later(offered_at, 9))
    await bob.settle()
    assert bob.offered() == []
    await sweep(later(offered_at, 11))
    withdrawn = await ann.expect("offer_withdrawn", conversation_id)
    assert (withdrawn["conversation_id"], withdrawn["reason"]) == (conversation_id, "lapsed")
    await bob.take_offered(conversation_id)
    assert await client.joined_by() == "Bob"
    late = await ann.answers({"type": "accept_offer", "offer_id": offer["offer_id"]}, "error")
    assert late["error"]["code"] == "offer_closed"
    assert await offers(conversation_id) == {"Ann": Offer.Status.EXPIRED, "Bob": Offer.Status.ACCEPTED}
    assert await assignee_name(conversation_id) == "Bob"


async def test_an_auto_accept_queue_assigns_the_chat_without_an_offer():
    w = await world(strategy="round_robin", auto_accept=True)
    ann, bob = await consoles(w.team, "Ann", "Bob")
    client = await visitor(w.channel)
    conversation_id = await client.say("Hello?")
    assigned = await ann.expect("assigned", conversation_id)
    assert (assigned["conversation_id"], assigned["via"]) == (conversation_id, "round_robin")
    assert await client.joined_by() == "Ann"
    for each in (ann, bob):
        await each.settle()
        assert each.offered() == []
    assert bob.of_type("assigned") == []
    assert await offers(conversation_id) == {}
    stored = await entry(conversation_id)
    assert (stored.status, stored.assigned_agent_id) == (Status.ASSIGNED, ann.agent.pk)
    assert await assignee_name(conversation_id) == "Ann"


# -- taking from the pool (抢单) -------------------------------------------------------------------


async def test_the_first_grab_from_the_pool_wins_and_the_second_gets_a_conflict():
    w = await world(strategy="round_robin")
    ann, bob = await consoles(w.team, "Ann", "Bob")
    await pause(ann, bob)  # nobody is offered work: the chat waits in the pool
    client = await visitor(w.channel)
    conversation_id = await client.say("Hello?")
    got = await bob.answers({"type": "take", "conversation_id": conversation_id}, "taken", "assigned")
    assert got["assigned"]["via"] == "take"
    second = await ann.answers({"type": "take", "conversation_id": conversation_id}, "error")
    assert (second["error"]["code"], second["error"]["details"]["reason"]) == ("conflict", "already_taken")
    assert await client.joined_by() == "Bob"
    await client.settle()
    assert client.system_events() == ["agent_joined"]
    assert ann.offered() == bob.offered() == []
    stored = await entry(conversation_id)
    assert (stored.status, stored.assigned_agent_id) == (Status.ASSIGNED, bob.agent.pk)
    assert await assignee_name(conversation_id) == "Bob"


async def test_grabbing_a_chat_offered_to_someone_else_withdraws_their_offer():
    w = await world(strategy="round_robin")
    ann, bob = await consoles(w.team, "Ann", "Bob")
    client = await visitor(w.channel)
    conversation_id = await client.say("Hello?")
    offer = await ann.offer(conversation_id)
    await bob.answers({"type": "take", "conversation_id": conversation_id}, "taken", "assigned")
    withdrawn = await ann.expect("offer_withdrawn", conversation_id)
    assert (withdrawn["conversation_id"], withdrawn["reason"]) == (conversation_id, "taken")
    late = await ann.answers({"type": "accept_offer", "offer_id": offer["offer_id"]}, "error")
    assert late["error"]["code"] == "offer_closed"
    assert await client.joined_by() == "Bob"
    assert await offers(conversation_id) == {"Ann": Offer.Status.EXPIRED}
    assert await assignee_name(conversation_id) == "Bob"


# -- transfers ------------------------------------------------------------------------------------


def notes(messages: list[dict[str, object]]) -> list[object]:
    return [m["body"] for m in messages if m["internal"]]


async def test_a_transfer_to_an_agent_hands_over_the_chat_with_a_note_and_tells_the_visitor():
    w = await world(strategy="round_robin")
    ann, bob = await consoles(w.team, "Ann", "Bob")
    client = await visitor(w.channel)
    conversation_id = await client.say("My invoice is wrong")
    await ann.take_offered(conversation_id)
    transfer = {"type": "transfer", "conversation_id": conversation_id, "to_agent_id": bob.agent.pk, "note": "Billing, order 12"}
    got = await ann.answers(transfer, "transferred", "offer_withdrawn")
    assert got["offer_withdrawn"]["reason"] == "transferred"
    assigned = await bob.expect("assigned", conversation_id)
    assert (assigned["conversation_id"], assigned["via"]) == (conversation_id, "transfer")

    told = await client.system_message("transferred")
    assert (told["meta"]["from_agent_name"], told["meta"]["agent_name"]) == ("Ann", "Bob")
    assert notes(await bob.join(conversation_id)) == ["Billing, order 12"]
    await client.settle()
    assert [m for m in client.seen if "Billing" in m["body"]] == []
    assert bob.offered() == []
    stored = await entry(conversation_id)
    assert (stored.status, stored.assigned_agent_id, stored.note) == (Status.ASSIGNED, bob.agent.pk, "Billing, order 12")
    assert await assignee_name(conversation_id) == "Bob"


async def test_a_transfer_to_a_queue_puts_the_chat_back_in_line_there_with_the_note():
    w = await world(strategy="round_robin")
    chinese = await other_queue(strategy="round_robin")
    ann = await console(await agent(w.team, "Ann"))
    xia = await console(await agent(chinese.team, "Xia"))
    client = await visitor(w.channel)
    conversation_id = await client.say("我需要帮助")
    await ann.take_offered(conversation_id)
    assert await client.joined_by() == "Ann"
    transfer = {"type": "transfer", "conversation_id": conversation_id, "to_queue_id": chinese.pk, "note": "Speaks Chinese"}
    await ann.answers(transfer, "transferred")
    await client.system_message("transferred_to_queue")

    offer = await xia.offer(conversation_id)
    assert (offer["queue_id"], offer["note"]) == (chinese.pk, "Speaks Chinese")
    await xia.accept(offer)
    assert await client.joined_by() == "Xia"
    assert notes(await xia.join(conversation_id)) == ["Speaks Chinese"]
    await ann.settle()
    assert ann.offered() == [conversation_id]  # the first offer only: she is excluded from the new entry
    first, moved = await entries(conversation_id)
    assert (first.queue_id, first.assigned_agent_id, first.finished_at is not None) == (w.queue.pk, ann.agent.pk, True)
    assert (moved.queue_id, moved.transferred_from_id, moved.excluded_agent_ids) == (chinese.pk, first.pk, [ann.agent.pk])
    assert (moved.status, moved.assigned_agent_id) == (Status.ASSIGNED, xia.agent.pk)
    stored = await conversation(conversation_id)
    assert (stored.assignee_id, stored.team_id) == (xia.agent.pk, chinese.team_id)


async def test_a_transfer_to_a_supervisor_gives_the_chat_to_an_online_supervisor_with_the_note():
    w = await world(strategy="round_robin")
    ann = await console(await agent(w.team, "Ann"))
    sam = await console(await agent(None, "Sam", role=AgentProfile.Role.SUPERVISOR))
    client = await visitor(w.channel)
    conversation_id = await client.say("I want to speak to a manager")
    await ann.take_offered(conversation_id)
    transfer = {"type": "transfer", "conversation_id": conversation_id, "to_supervisor": True, "note": "Asks for a manager"}
    await ann.answers(transfer, "transferred")
    assigned = await sam.expect("assigned", conversation_id)
    assert assigned["via"] == "supervisor"

    told = await client.system_message("transferred")
    assert (told["meta"]["from_agent_name"], told["meta"]["agent_name"]) == ("Ann", "Sam")
    assert notes(await sam.join(conversation_id)) == ["Asks for a manager"]
    assert sam.offered() == []
    stored = await entry(conversation_id)
    assert (stored.status, stored.assigned_agent_id) == (Status.ASSIGNED, sam.agent.pk)
    assert await assignee_name(conversation_id) == "Sam"


# -- overflow, leaving the line -------------------------------------------------------------------


async def test_a_chat_waiting_past_the_maximum_wait_overflows_to_the_overflow_queue():
    overflow = await other_queue(strategy="round_robin")
    w = await world(strategy="round_robin", max_wait_s=30, overflow_action="queue", overflow_queue=overflow)
    ann = await console(await agent(w.team, "Ann"))
    xia = await console(await agent(overflow.team, "Xia"))
    await pause(ann)
    client = await visitor(w.channel)
    conversation_id = await client.say("Hello?")
    waited = await entry(conversation_id)

    await sweep(later(waited.enqueued_at, 29))
    await xia.settle()
    assert xia.offered() == []
    assert (await entry(conversation_id)).pk == waited.pk
    await sweep(later(waited.enqueued_at, 31))
    await xia.take_offered(conversation_id)
    assert await client.joined_by() == "Xia"
    await ann.settle()
    assert ann.offered() == []
    first, moved = await entries(conversation_id)
    assert (first.status, first.ended_at) == (Status.OVERFLOWED, later(waited.enqueued_at, 31))
    assert (moved.queue_id, moved.transferred_from_id, moved.status, moved.assigned_agent_id) == (
        overflow.pk,
        first.pk,
        Status.ASSIGNED,
        xia.agent.pk,
    )
    stored = await conversation(conversation_id)
    assert (stored.assignee_id, stored.team_id) == (xia.agent.pk, overflow.team_id)


async def test_a_visitor_who_left_the_line_is_abandoned_counted_and_the_offer_withdrawn(settings):
    settings.CC_VISITOR_GRACE_S = 5
    w = await world(strategy="round_robin")
    ann = await console(await agent(w.team, "Ann"))
    started = now()
    client = await visitor(w.channel)
    conversation_id = await client.say("Hello?")
    offer = await ann.offer(conversation_id)
    await client.close()  # and does not come back

    assert await db(routing_hooks.abandon_departed)(now() + timedelta(seconds=6)) == 1
    withdrawn = await ann.expect("offer_withdrawn", conversation_id)
    assert (withdrawn["conversation_id"], withdrawn["reason"]) == (conversation_id, "abandoned")
    late = await ann.answers({"type": "accept_offer", "offer_id": offer["offer_id"]}, "error")
    assert late["error"]["code"] == "offer_closed"
    left = await entry(conversation_id)
    assert (left.status, left.assigned_agent_id) == (Status.ABANDONED, None)
    assert await db(abandoned_count)(queue_id=w.queue.pk, since=started) == 1
    assert await offers(conversation_id) == {"Ann": Offer.Status.EXPIRED}
    stored = await conversation(conversation_id)
    assert (stored.status, stored.assignee_id) == (Conversation.Status.CLOSED, None)


# -- wrap-up --------------------------------------------------------------------------------------


async def test_after_a_resolve_in_a_wrap_up_queue_the_agent_is_offered_nothing_until_wrap_up_ends():
    w = await world(strategy="round_robin", wrap_up_s=30)
    ann = await console(await agent(w.team, "Ann"))
    first = await visitor(w.channel)
    first_id = await first.say("Hello?")
    await ann.take_offered(first_id)
    got = await ann.answers({"type": "resolve", "conversation_id": first_id}, "resolved", "agent_state")
    state = await db(AgentRoutingState.objects.get)(agent=ann.agent)
    resolved_at = (await conversation(first_id)).resolved_at
    assert state.wrap_up_until is not None and resolved_at is not None
    assert state.wrap_up_until == later(resolved_at, 30)
    assert got["agent_state"] == {
        "type": "agent_state",
        "agent_id": ann.agent.pk,
        "pause_reason": "",
        "wrap_up_until": state.wrap_up_until.isoformat(),
    }

    second = await visitor(w.channel)
    second_id = await second.say("Anyone?")
    await ann.settle()
    assert ann.offered() == [first_id]
    await sweep(state.wrap_up_until - timedelta(seconds=1))
    await ann.settle()
    assert ann.offered() == [first_id]
    assert (await entry(second_id)).status == Status.WAITING

    await sweep(state.wrap_up_until + timedelta(seconds=1))
    await ann.take_offered(second_id)
    assert await second.joined_by() == "Ann"
    assert await assignee_name(second_id) == "Ann"
