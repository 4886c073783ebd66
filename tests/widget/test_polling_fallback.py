"""The socket.io long-poll fallback carries the same protocol as /ws/widget/, end to end.

A real ``contactcenter demo`` process; the visitor speaks socket.io over HTTP long polling (as
the widget does when WebSockets are blocked), the agent uses the WebSocket console protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests.e2e.peers import AgentPeer
from tests.e2e.servers import agent_sessions
from tests.liveserver import LiveServer

pytestmark = pytest.mark.e2e

CHANNEL = "demo-shop"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(Path(tmp_path_factory.mktemp("polling"))).start()
    yield live
    live.stop()


class PollingVisitor:
    """The widget's polling transport: socket.io event "frame" both ways, "close" {code} from the server."""

    def __init__(self, server: LiveServer, *, origin: str | None = None) -> None:
        self.server = server
        self.origin = origin or server.shop_url.rstrip("/")
        self.client = socketio.AsyncClient(reconnection=False)
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.close_code: int | None = None
        self.refusal: dict[str, Any] | None = None
        self.refused = asyncio.Event()
        self.client.on("frame", self._on_frame)
        self.client.on("close", self._on_close)
        self.client.on("connect_error", self._on_connect_error)

    async def _on_frame(self, frame: dict[str, Any]) -> None:
        await self.frames.put(frame)

    async def _on_close(self, data: dict[str, Any]) -> None:
        self.close_code = data.get("code")

    async def _on_connect_error(self, data: Any) -> None:
        # A refused connection: {"message", "data": {"code": <close code>, "frame": <error frame>}}.
        self.refusal = data.get("data") if isinstance(data, dict) else None
        self.refused.set()

    async def connect(self, channel: str = CHANNEL, *, wait: bool = True) -> None:
        await self.client.connect(
            f"{self.server.url}?channel={channel}",
            transports=["polling"],
            socketio_path="socket.io",
            headers={"Origin": self.origin},
            wait=wait,
            wait_timeout=10,
        )

    async def refusal_of(self, channel: str = CHANNEL) -> dict[str, Any]:
        """Connect, expecting a refusal; its data ({"code", "frame"})."""
        # Not connect(wait=True): on a refusal it would wait out a pending long poll (~20 s).
        await self.connect(channel, wait=False)
        try:
            await asyncio.wait_for(self.refused.wait(), 10)
        finally:
            await self.close()
        assert self.refusal is not None
        return self.refusal

    async def send(self, frame: dict[str, Any]) -> None:
        await self.client.emit("frame", frame)

    async def expect(self, kind: str, timeout: float = 10) -> dict[str, Any]:
        """The next frame of this type, skipping others (typing, presence, conversation updates)."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.frames.get()
                if frame.get("type") == kind:
                    return frame

    async def hello(self, *, token: str = "", last_seq: int = 0) -> dict[str, Any]:
        await self.send({"type": "hello", "visitor_token": token, "language": "en", "last_seq": last_seq})
        return await self.expect("welcome")

    async def close(self) -> None:
        disconnecting = asyncio.ensure_future(self.client.disconnect())
        await asyncio.wait({disconnecting}, timeout=0.2)
        if not disconnecting.done() and self.client.eio.http is not None:
            # python-engineio waits for its pending long-poll GET, which the server answers only at
            # its next ping (~20 s); a browser aborts it. Closing the HTTP session aborts it here.
            await self.client.eio.http.close()
        with contextlib.suppress(Exception):
            await disconnecting


@pytest.fixture
async def visitor(server: LiveServer) -> AsyncIterator[PollingVisitor]:
    peer = PollingVisitor(server)
    await peer.connect()
    yield peer
    await peer.close()


async def start_conversation(visitor: PollingVisitor, name: str = "Polly") -> int:
    await visitor.send({"type": "start", "prechat": {"name": name}})
    return int((await visitor.expect("conversation"))["conversation"]["id"])


async def test_polling_visitor_is_welcomed_with_a_token_and_the_channel(visitor: PollingVisitor) -> None:
    welcome = await visitor.hello()
    assert welcome["visitor_token"]
    assert welcome["channel"]["name"] == "Demo shop"
    assert [f["name"] for f in welcome["channel"]["prechat_fields"]] == ["name", "email"]


async def test_polling_visitor_message_is_acked_with_its_seq(visitor: PollingVisitor) -> None:
    await visitor.hello()
    conversation_id = await start_conversation(visitor)
    await visitor.send({"type": "message", "client_id": "poll-1", "body": "Hello over long polling"})
    ack = await visitor.expect("ack")
    assert ack == {"type": "ack", "client_id": "poll-1", "conversation_id": conversation_id, "seq": 1, "duplicate": False}
    assert (await visitor.expect("message"))["message"]["body"] == "Hello over long polling"


async def test_resent_message_over_polling_is_stored_once(visitor: PollingVisitor) -> None:
    await visitor.hello()
    await start_conversation(visitor)
    frame = {"type": "message", "client_id": "poll-retry", "body": "once"}
    await visitor.send(frame)
    first = await visitor.expect("ack")
    await visitor.send(frame)
    second = await visitor.expect("ack")
    assert second["seq"] == first["seq"] and second["duplicate"] is True


async def test_prechat_errors_name_the_field_over_polling(visitor: PollingVisitor) -> None:
    await visitor.hello()
    await visitor.send({"type": "start", "prechat": {"name": ""}, "ref": "start"})
    error = await visitor.expect("error")
    assert error["details"]["field"] == "name" and error["ref"] == "start"


async def test_agent_on_websocket_receives_live_what_a_polling_visitor_sends(server: LiveServer, visitor: PollingVisitor) -> None:
    await visitor.hello()
    conversation_id = await start_conversation(visitor, name="Live")
    session = agent_sessions(server, ["alice"])["alice"]
    agent = await AgentPeer(name="alice", server=server, session_key=session).open()
    try:
        await agent.join(conversation_id)
        await visitor.send({"type": "message", "client_id": "poll-live", "body": "Do you ship to Hangzhou?"})
        await visitor.expect("ack")
        await agent.wait_seq(1, timeout=10)
        assert [(m["client_id"], m["body"], m["sender"]["kind"]) for m in agent.received] == [
            ("poll-live", "Do you ship to Hangzhou?", "visitor")
        ]
    finally:
        await agent.close()


async def test_polling_visitor_gets_what_it_missed_when_it_comes_back(server: LiveServer, visitor: PollingVisitor) -> None:
    welcome = await visitor.hello()
    conversation_id = await start_conversation(visitor, name="Returning")
    await visitor.send({"type": "message", "client_id": "poll-before", "body": "Anyone there?"})
    await visitor.expect("ack")
    await visitor.close()

    session = agent_sessions(server, ["bob"])["bob"]
    agent = await AgentPeer(name="bob", server=server, session_key=session).open()
    try:
        assert (await agent.take(conversation_id))["type"] == "taken"
        await agent.join(conversation_id)
        await agent.send_message("Yes, Bob here.")
        await agent.wait_acked()
    finally:
        await agent.close()

    back = PollingVisitor(server)
    await back.connect()
    try:
        again = await back.hello(token=welcome["visitor_token"], last_seq=1)
        assert again["conversation"]["id"] == conversation_id
        replay = await back.expect("replay")
        assert [(m["sender"]["kind"], m["meta"].get("event")) for m in replay["messages"]] == [("system", "agent_joined"), ("agent", None)]
        assert replay["messages"][-1]["body"] == "Yes, Bob here."
    finally:
        await back.close()


async def test_polling_from_a_site_the_channel_does_not_allow_is_refused_with_4403(server: LiveServer) -> None:
    refusal = await PollingVisitor(server, origin="https://evil.example").refusal_of()
    assert refusal["code"] == 4403
    assert refusal["frame"]["details"]["reason"] == "origin_not_allowed"


async def test_polling_with_an_unknown_channel_is_refused_with_4404(server: LiveServer) -> None:
    refusal = await PollingVisitor(server).refusal_of(channel="no-such-channel")
    assert refusal["code"] == 4404
    assert refusal["frame"]["code"] == "not_found"
