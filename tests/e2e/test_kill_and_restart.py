"""A server process is SIGKILLed mid-conversation and restarted: nothing acked is lost or doubled."""

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
    conversation_row,
    fresh_postgres_database,
    postgres_available,
    redis_available,
    services_env,
    stored_messages,
)
from tests.liveserver import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

MESSAGES_EACH = 24
KILL_AFTER_ACKS = 8
SEND_INTERVAL_S = 0.12  # under the per-socket rate limit (10 frames/s)


@pytest.fixture(params=["embedded", pytest.param("postgres_redis", marks=pytest.mark.services)])
def crash_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    if request.param == "embedded":
        server = start_demo(tmp_path / "server")
        yield server
        server.stop()
        return
    need("PostgreSQL", postgres_available(), "127.0.0.1:5432 (CC_TEST_DATABASE_URL)")
    need("Redis", redis_available(), "127.0.0.1:6379 (CC_TEST_REDIS_URL)")
    with fresh_postgres_database() as database_url:
        server = start_demo(tmp_path / "server", env=services_env(database_url))
        try:
            yield server
        finally:
            server.stop()


async def _chatter(peer: Peer, *, count: int) -> None:
    """Type ``count`` messages at a steady pace, whether or not the server is up."""
    for number in range(1, count + 1):
        await peer.send_message(f"{peer.name} line {number}")
        await asyncio.sleep(SEND_INTERVAL_S)


async def _acked_at_least(peer: Peer, count: int, *, timeout: float = 30) -> None:
    for _ in range(int(timeout / 0.05)):
        if len(peer.acks) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{peer.name}: only {len(peer.acks)} acks")


async def test_every_acked_message_survives_a_sigkill_exactly_once_and_in_order(crash_server: LiveServer) -> None:
    server = crash_server
    session_key = (await asyncio.to_thread(agent_sessions, server, ["alice"]))["alice"]
    visitor = await VisitorPeer(name="v", server=server).open()
    conversation_id = await visitor.start(name="Crash-test visitor")
    await visitor.send_message("hello before anything happens")
    await visitor.wait_acked()
    agent = await AgentPeer(name="a", server=server, session_key=session_key).open()
    assert (await agent.take(conversation_id))["type"] == "taken"
    await agent.join(conversation_id)

    chatter = [asyncio.create_task(_chatter(visitor, count=MESSAGES_EACH)), asyncio.create_task(_chatter(agent, count=MESSAGES_EACH))]
    # Kill while both sides are sending: some frames are in flight, some acks never come.
    await _acked_at_least(visitor, KILL_AFTER_ACKS)
    await asyncio.to_thread(server.kill)
    await asyncio.sleep(1.0)  # both keep typing while the server is down
    await asyncio.to_thread(server.start)
    await asyncio.gather(*chatter)
    await visitor.wait_acked(timeout=60)
    await agent.wait_acked(timeout=60)

    # A visitor that comes back and only listens gets what the agent writes next, live.
    await visitor.drop()
    await agent.send_message("are you still there?")
    await agent.wait_acked()
    await visitor.wait_seq(agent.acks[f"a-{MESSAGES_EACH + 1}"], timeout=10)

    stored = await asyncio.to_thread(stored_messages, server, conversation_id)
    last_seq = stored[-1]["seq"]
    await visitor.wait_seq(last_seq)
    await agent.wait_seq(last_seq)
    await visitor.close()
    await agent.close()

    assert visitor.connections >= 2 and agent.connections >= 2, "both clients should have reconnected after the kill"
    # The database: gapless seqs, each client_id once, every acked message stored where its ack said.
    assert [m["seq"] for m in stored] == list(range(1, last_seq + 1))
    client_ids = [m["client_id"] for m in stored if m["client_id"]]
    assert len(client_ids) == len(set(client_ids))
    bodies = [m["body"] for m in stored if m["client_id"]]
    assert len(bodies) == len(set(bodies)), "a message body was stored twice"
    by_seq = {m["seq"]: m for m in stored}
    for peer in (visitor, agent):
        assert len(peer.acks) == MESSAGES_EACH + 1
        for client_id, seq in peer.acks.items():
            assert by_seq[seq]["client_id"] == client_id and by_seq[seq]["body"] == peer.bodies[client_id]
        # Each side's own messages are stored in the order they were typed.
        own = [peer.acks[c] for c in peer.bodies]
        assert own == sorted(own)
    # Both screens: every stored message exactly once, in seq order.
    assert visitor.seqs() == list(range(1, last_seq + 1))
    assert agent.seqs() == list(range(1, last_seq + 1))
    assert (await asyncio.to_thread(conversation_row, server, conversation_id))["last_seq"] == last_seq
