"""Protocol-level clients for the end-to-end tests: a visitor and an agent that survive crashes.

A peer keeps every message frame it receives, in arrival order and across connections, so a
test can check that each message arrived exactly once and in seq order. When its socket drops
it reconnects by itself, resumes from the last seq it saw and re-sends every message that was
not acked yet, under the same client_id (what the widget and the console do).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any, Self

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, WebSocketException

from tests.liveserver import LiveServer

DEMO_CHANNEL = "demo-shop"
CONNECT_ERRORS = (OSError, asyncio.TimeoutError, InvalidHandshake, WebSocketException)


class HandshakeRefused(Exception):
    """The server answered hello (or the agent connect) with an error frame."""


class Peer:
    """One realtime client; subclasses know the visitor or agent handshake."""

    path = ""

    def __init__(self, *, name: str, server: LiveServer, headers: dict[str, str], reconnect_within: float = 60) -> None:
        self.name = name
        self.server = server
        self.headers = headers
        self.reconnect_within = reconnect_within
        self.received: list[dict[str, Any]] = []  # message payloads in arrival order, over all connections
        self.frames: list[dict[str, Any]] = []  # every other frame, in arrival order
        self.acks: dict[str, int] = {}  # client_id -> stored seq
        self.duplicate_acks: set[str] = set()
        self.pending: dict[str, dict[str, Any]] = {}  # sent, not acked yet (insertion order = send order)
        self.bodies: dict[str, str] = {}
        self.connections = 0
        self.ws: ClientConnection | None = None
        self.connected = asyncio.Event()
        self.send_lock = asyncio.Lock()
        self.closing = False
        self._counter = 0
        self._consumed: set[int] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.connect_errors: list[str] = []
        self.failure: BaseException | None = None

    # ----------------------------------------------------------------------- connection

    @property
    def url(self) -> str:
        return f"{self.server.ws_url}{self.path}"

    @property
    def last_seq(self) -> int:
        return self.received[-1]["seq"] if self.received else 0

    async def open(self) -> Self:
        await self._connect(deadline=time.monotonic() + 30)
        return self

    async def _connect(self, *, deadline: float) -> None:
        while True:
            ws: ClientConnection | None = None
            try:
                ws = await websockets.connect(self.url, additional_headers=self.headers, open_timeout=5, max_size=2**22)
                await asyncio.wait_for(self.handshake(ws), 15)
                break
            except (*CONNECT_ERRORS, ConnectionClosed, HandshakeRefused) as error:
                # A server that is still starting refuses or drops; a real client retries too.
                self.connect_errors.append(f"{time.strftime('%H:%M:%S')} {type(error).__name__}: {error}"[:300])
                if ws is not None:
                    await ws.close()
                if self.closing or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        self.ws = ws
        self.connections += 1
        async with self.send_lock:
            # Everything sent but not acked goes again, in order, under its own client_id.
            for frame in list(self.pending.values()):
                try:
                    await ws.send(json.dumps(frame))
                except ConnectionClosed:
                    break
            self.connected.set()
        self._spawn(self._read(ws))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                self.dispatch(json.loads(raw))
        if self.ws is ws and not self.closing:
            self.connected.clear()
            self._spawn(self._reconnect())

    async def _reconnect(self) -> None:
        try:
            await self._connect(deadline=time.monotonic() + self.reconnect_within)
        except Exception as error:
            self.failure = error  # raised by the next wait_* call instead of vanishing in a task

    def describe(self) -> str:
        """What a failing test should print about this peer."""
        return (
            f"{self.name}: connections={self.connections} connected={self.connected.is_set()} last_seq={self.last_seq} "
            f"acked={len(self.acks)} pending={list(self.pending)} failure={self.failure!r}\n"
            f"  connect errors: {self.connect_errors[-5:]}\n  last frames: {self.frames[-5:]}"
        )

    def _check_failure(self) -> None:
        if self.failure is not None:
            raise AssertionError(f"{self.name} gave up reconnecting: {self.failure!r}\n{self.describe()}")

    async def handshake(self, ws: ClientConnection) -> None:
        raise NotImplementedError

    async def recv_until(self, ws: ClientConnection, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """During a handshake (before the reader runs): dispatch frames until one satisfies ``done``."""
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv())
            self.dispatch(frame)
            if done(frame):
                return frame

    async def drop(self) -> None:
        """Lose the connection (as on a network change) and wait until the peer is back."""
        previous = self.connections
        assert self.ws is not None
        await self.ws.close()
        for _ in range(600):
            self._check_failure()
            if self.connections > previous and self.connected.is_set():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"did not reconnect\n{self.describe()}")

    async def close(self) -> None:
        self.closing = True
        self.connected.clear()
        if self.ws is not None:
            await self.ws.close()
        for task in list(self._tasks):
            task.cancel()

    # ----------------------------------------------------------------------- frames

    def dispatch(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "message":
            self.received.append(frame["message"])
        elif kind == "replay":
            self.received.extend(frame["messages"])
            self.frames.append(frame)
        elif kind == "ack":
            self.acks[frame["client_id"]] = frame["seq"]
            if frame.get("duplicate"):
                self.duplicate_acks.add(frame["client_id"])
            self.pending.pop(frame["client_id"], None)
        else:
            if kind == "error" and frame.get("code") == "rate_limited" and frame.get("ref") in self.pending:
                # Not stored: send it again a little later, as a client would.
                self._spawn(self._resend_later(frame["ref"]))
            self.frames.append(frame)

    async def _resend_later(self, client_id: str) -> None:
        await asyncio.sleep(0.5)
        frame = self.pending.get(client_id)
        if frame is not None:
            await self.send_frame(frame)

    async def send_frame(self, frame: dict[str, Any]) -> None:
        """Send now if connected; a message frame left pending is re-sent on reconnect anyway."""
        async with self.send_lock:
            if self.ws is None or not self.connected.is_set():
                return
            try:
                await self.ws.send(json.dumps(frame))
            except ConnectionClosed:
                self.connected.clear()

    def _next_client_id(self) -> str:
        self._counter += 1
        return f"{self.name}-{self._counter}"

    async def send_message(self, body: str, **extra: Any) -> str:
        client_id = self._next_client_id()
        frame = {"type": "message", "client_id": client_id, "body": body, **extra}
        self.bodies[client_id] = body
        async with self.send_lock:
            # Pending first: whether this send gets through or the socket is down, the
            # reconnect re-sends it until it is acked.
            self.pending[client_id] = frame
        await self.send_frame(frame)
        return client_id

    async def expect(self, kind: str, *, timeout: float = 10, where: Callable[[dict[str, Any]], bool] = lambda f: True) -> dict[str, Any]:
        """The first not yet consumed frame of this type ("a|b" for either); "message" frames are not kept here."""
        kinds = kind.split("|")
        deadline = time.monotonic() + timeout
        while True:
            for index, frame in enumerate(self.frames):
                if index not in self._consumed and frame.get("type") in kinds and where(frame):
                    self._consumed.add(index)
                    return frame
            self._check_failure()
            if time.monotonic() > deadline:
                raise AssertionError(f"no {kind!r} frame in {timeout}s\n{self.describe()}")
            await asyncio.sleep(0.02)

    async def wait_acked(self, *, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.pending:
            self._check_failure()
            if time.monotonic() > deadline:
                raise AssertionError(f"not acked after {timeout}s; errors: {self.errors()[-5:]}\n{self.describe()}")
            await asyncio.sleep(0.05)

    async def wait_seq(self, seq: int, *, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.last_seq < seq:
            self._check_failure()
            if time.monotonic() > deadline:
                raise AssertionError(f"saw up to seq {self.last_seq}, expected {seq}\n{self.describe()}")
            await asyncio.sleep(0.05)

    def errors(self) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == "error"]

    def seqs(self) -> list[int]:
        return [m["seq"] for m in self.received]


class VisitorPeer(Peer):
    """A widget: hello with its visitor token and last seq; replay; then live."""

    path = f"/ws/widget/?channel={DEMO_CHANNEL}"

    def __init__(self, *, name: str, server: LiveServer, origin: str | None = None, **kwargs: Any) -> None:
        origin = origin or server.shop_url.rstrip("/")
        super().__init__(name=name, server=server, headers={"Origin": origin}, **kwargs)
        self.visitor_token = ""
        self.conversation_id: int | None = None

    async def handshake(self, ws: ClientConnection) -> None:
        await ws.send(json.dumps({"type": "hello", "visitor_token": self.visitor_token, "language": "en", "last_seq": self.last_seq}))
        welcome = await self.recv_until(ws, lambda f: f.get("type") in ("welcome", "error"))
        if welcome["type"] == "error":
            raise HandshakeRefused(f"{self.name}: hello refused: {welcome}")
        self.visitor_token = welcome["visitor_token"]
        if welcome["conversation"] is not None:
            self.conversation_id = welcome["conversation"]["id"]
            await self.recv_until(ws, lambda f: f.get("type") == "replay" and not f["more"])

    async def start(self, *, name: str, email: str = "") -> int:
        await self.send_frame({"type": "start", "prechat": {"name": name, "email": email}})
        frame = await self.expect("conversation", where=lambda f: f["conversation"]["id"] is not None)
        self.conversation_id = int(frame["conversation"]["id"])
        return self.conversation_id


class AgentPeer(Peer):
    """An agent console: authenticated by its session cookie; joins one conversation."""

    path = "/ws/agent/"

    def __init__(self, *, name: str, server: LiveServer, session_key: str, **kwargs: Any) -> None:
        super().__init__(name=name, server=server, headers={"Cookie": f"sessionid={session_key}"}, **kwargs)
        self.conversation_id: int | None = None
        self.ready: dict[str, Any] | None = None

    async def handshake(self, ws: ClientConnection) -> None:
        ready = await self.recv_until(ws, lambda f: f.get("type") in ("ready", "error"))
        if ready["type"] == "error":
            raise HandshakeRefused(f"{self.name}: agent socket refused: {ready}")
        self.ready = ready
        if self.conversation_id is not None:
            await ws.send(json.dumps({"type": "join", "conversation_id": self.conversation_id, "last_seq": self.last_seq}))
            await self.recv_until(ws, lambda f: f.get("type") == "replay" and not f["more"])

    async def take(self, conversation_id: int) -> dict[str, Any]:
        """Send a take; the answer is a ``taken`` frame or an ``error`` with ref take-<id>."""
        ref = f"take-{conversation_id}"
        await self.send_frame({"type": "take", "conversation_id": conversation_id, "ref": ref})
        return await self.expect(
            "taken|error",
            where=lambda f: f.get("conversation_id") == conversation_id or f.get("ref") == ref,
        )

    async def join(self, conversation_id: int) -> None:
        self.conversation_id = conversation_id
        await self.send_frame({"type": "join", "conversation_id": conversation_id, "last_seq": self.last_seq})
        await self.expect("replay", where=lambda f: f["conversation_id"] == conversation_id and not f["more"])

    async def send_message(self, body: str, **extra: Any) -> str:
        assert self.conversation_id is not None, "join a conversation first"
        return await super().send_message(body, conversation_id=self.conversation_id, **extra)
