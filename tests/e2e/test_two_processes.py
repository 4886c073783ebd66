"""Two server processes sharing PostgreSQL and Redis: a visitor on one, agents on either."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import need
from tests.e2e.conftest import start_demo
from tests.e2e.peers import AgentPeer, Peer, VisitorPeer
from tests.e2e.servers import (
    agent_sessions,
    fresh_postgres_database,
    postgres_available,
    redis_available,
    services_env,
    stored_messages,
    take_outcomes,
)
from tests.liveserver import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.services]

MESSAGES_EACH = 15


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    need("PostgreSQL", postgres_available(), "127.0.0.1:5432 (CC_TEST_DATABASE_URL)")
    need("Redis", redis_available(), "127.0.0.1:6379 (CC_TEST_REDIS_URL)")
    with fresh_postgres_database() as database_url:
        env = services_env(database_url)
        # Node A migrates and loads the demo data; only once it is ready does node B start,
        # as `serve` (its migrate finds nothing to do), so no two migrations race.
        node_a = start_demo(Path(tmp_path_factory.mktemp("node_a")), env=env)
        try:
            node_b = start_demo(Path(tmp_path_factory.mktemp("node_b")), env=env, command="serve")
            try:
                yield node_a, node_b
            finally:
                node_b.stop()
        finally:
            node_a.stop()


async def _chatter(peer: Peer, *, count: int) -> None:
    for number in range(1, count + 1):
        await peer.send_message(f"{peer.name} says {number}")
        await asyncio.sleep(0.03 if number % 5 else 0.2)  # bursts, then a pause: stays under the rate limit


async def test_a_visitor_on_one_process_and_an_agent_on_another_chat_both_ways_exactly_once_in_order(
    two_nodes: tuple[LiveServer, LiveServer],
) -> None:
    node_a, node_b = two_nodes
    session_key = (await asyncio.to_thread(agent_sessions, node_b, ["alice"]))["alice"]
    visitor = await VisitorPeer(name="visitor", server=node_a).open()
    conversation_id = await visitor.start(name="Visitor on node A")
    await visitor.send_message("hello from node A")
    await visitor.wait_acked()
    agent = await AgentPeer(name="alice", server=node_b, session_key=session_key).open()
    assert agent.ready is not None
    assert conversation_id in [c["id"] for c in agent.ready["inbox"]["unassigned"]]
    assert (await agent.take(conversation_id))["type"] == "taken"
    await agent.join(conversation_id)

    await asyncio.gather(_chatter(visitor, count=MESSAGES_EACH), _chatter(agent, count=MESSAGES_EACH))
    await visitor.wait_acked()
    await agent.wait_acked()
    stored = await asyncio.to_thread(stored_messages, node_a, conversation_id)
    last_seq = stored[-1]["seq"]
    await visitor.wait_seq(last_seq, timeout=15)
    await agent.wait_seq(last_seq, timeout=15)
    await visitor.close()
    await agent.close()

    assert [m["seq"] for m in stored] == list(range(1, last_seq + 1))
    assert visitor.seqs() == agent.seqs() == list(range(1, last_seq + 1))
    for peer, other in ((visitor, agent), (agent, visitor)):
        assert not peer.duplicate_acks
        seen_by_other = {m["seq"]: m for m in other.received}
        for client_id, seq in peer.acks.items():
            assert seen_by_other[seq]["client_id"] == client_id
            assert seen_by_other[seq]["body"] == peer.bodies[client_id]


async def test_two_agents_on_different_processes_taking_one_conversation_exactly_one_wins(
    two_nodes: tuple[LiveServer, LiveServer],
) -> None:
    node_a, node_b = two_nodes
    keys = await asyncio.to_thread(agent_sessions, node_a, ["alice", "bob"])
    alice = await AgentPeer(name="alice", server=node_a, session_key=keys["alice"]).open()
    bob = await AgentPeer(name="bob", server=node_b, session_key=keys["bob"]).open()
    winners: dict[int, str] = {}
    for round_number in range(4):
        # The shop page is node A's (the channel allows its origin); its widget may reach either node.
        node = (node_a, node_b)[round_number % 2]
        visitor = await VisitorPeer(name=f"racer{round_number}", server=node, origin=node_a.shop_url.rstrip("/")).open()
        conversation_id = await visitor.start(name=f"Race {round_number}")
        await visitor.send_message("who takes me?")
        await visitor.wait_acked()

        answers = await asyncio.gather(alice.take(conversation_id), bob.take(conversation_id))

        kinds = sorted(a["type"] for a in answers)
        assert kinds == ["error", "taken"], answers
        loser = next(a for a in answers if a["type"] == "error")
        assert loser["code"] == "conflict" and loser["details"]["reason"] == "already_taken"
        winner = (alice, bob)[[a["type"] for a in answers].index("taken")]
        winners[conversation_id] = winner.name
        # Free the winner's capacity for the next round.
        await winner.send_frame({"type": "resolve", "conversation_id": conversation_id})
        resolved = await winner.expect("resolved")
        assert resolved["conversation_id"] == conversation_id
        await visitor.close()
    await alice.close()
    await bob.close()
    # The database agrees with the answers: the winner is the assignee, and only one took it.
    outcomes = await asyncio.to_thread(take_outcomes, node_b, list(winners))
    assert {cid: o["assignee"] for cid, o in outcomes.items()} == winners
    assert {cid: o["joined"] for cid, o in outcomes.items()} == {cid: [name.capitalize()] for cid, name in winners.items()}
