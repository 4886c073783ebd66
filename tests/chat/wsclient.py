"""Helpers to drive the realtime consumers with Channels' WebsocketCommunicator."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from channels.testing import WebsocketCommunicator

from contactcenter.asgi import application

ORIGIN = "https://shop.example"


class Closed(AssertionError):
    """The server closed the socket while a frame was expected."""

    def __init__(self, code: int | None) -> None:
        super().__init__(f"socket closed with code {code}")
        self.code = code


# Routing's notices (queue positions, offers, assignments): tests of other behaviour read past them
# with recv(); recv_type()/recv_until() and drain() still see them.
ROUTING_FRAMES = frozenset({"queue_position", "offer", "offer_withdrawn", "assigned", "agent_state"})


class Client:
    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.ws = communicator
        # Messages seen so far (from "message" and "replay" frames), in arrival order.
        self.seen: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any] | str) -> None:
        # send_input, not send_to: an empty text frame is a case worth sending too.
        await self.ws.send_input({"type": "websocket.receive", "text": frame if isinstance(frame, str) else json.dumps(frame)})

    async def send_bytes(self, data: bytes) -> None:
        await self.ws.send_input({"type": "websocket.receive", "bytes": data})

    async def recv(self, timeout: float = 3) -> dict[str, Any]:
        """The next frame, reading past routing's notices."""
        while True:
            frame = await self.recv_any(timeout)
            if frame["type"] not in ROUTING_FRAMES:
                return frame

    async def recv_any(self, timeout: float = 3) -> dict[str, Any]:
        output = await self.ws.receive_output(timeout)
        if output["type"] == "websocket.close":
            raise Closed(output.get("code"))
        frame: dict[str, Any] = json.loads(output["text"])
        if frame["type"] == "message":
            self.seen.append(frame["message"])
        elif frame["type"] == "replay":
            self.seen.extend(frame["messages"])
        return frame

    async def recv_type(self, kind: str, timeout: float = 3) -> dict[str, Any]:
        """The next frame of ``kind``, skipping others (typing, conversation updates, ...)."""
        return await self.recv_until(lambda f: f["type"] == kind, timeout=timeout, what=kind)

    async def recv_until(self, test: Callable[[dict[str, Any]], bool], *, timeout: float = 3, what: str = "matching") -> dict[str, Any]:
        skipped: list[str] = []
        for _ in range(500):
            frame = await self.recv_any(timeout)
            if test(frame):
                return frame
            skipped.append(frame["type"])
        raise AssertionError(f"no {what} frame; skipped {skipped[-20:]}")

    async def recv_error(self, timeout: float = 3) -> dict[str, Any]:
        return await self.recv_type("error", timeout)

    async def wait_for_seq(self, seq: int, timeout: float = 3) -> list[dict[str, Any]]:
        """Read frames until a message with ``seq`` was seen; returns every message seen so far."""
        while not any(m["seq"] == seq for m in self.seen):
            await self.recv(timeout)
        return self.seen

    async def drain(self, timeout: float = 0.2) -> list[dict[str, Any]]:
        """Every frame that arrives until the socket has been quiet for ``timeout``."""
        frames = []
        while not await self.ws.receive_nothing(timeout=timeout):
            frames.append(await self.recv_any())
        return frames

    async def no_more_messages(self, timeout: float = 0.3) -> bool:
        """True if no message or replay frame arrives within ``timeout`` (other frames are read and dropped)."""
        frames = await self.drain(timeout)
        return not [f for f in frames if f["type"] in ("message", "replay")]

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.ws.receive_nothing(timeout=timeout)

    async def closed_with(self, timeout: float = 3) -> int | None:
        """Read until the server closes the socket; the close code."""
        try:
            while True:
                await self.recv(timeout)
        except Closed as closed:
            return closed.code

    async def close(self) -> None:
        await self.ws.disconnect()


async def widget_raw(channel_key: str, *, origin: str | None = ORIGIN) -> Client:
    headers = [(b"origin", origin.encode())] if origin else []
    comm = WebsocketCommunicator(application, f"/ws/widget/?channel={channel_key}", headers=headers)
    connected, _ = await comm.connect()
    assert connected
    return Client(comm)


async def widget(
    channel_key: str, *, origin: str = ORIGIN, token: str = "", last_seq: int = 0, hello: bool = True
) -> tuple[Client, dict[str, Any]]:
    client = await widget_raw(channel_key, origin=origin)
    if not hello:
        return client, {}
    await client.send({"type": "hello", "visitor_token": token, "last_seq": last_seq, "language": "en"})
    return client, await client.recv_type("welcome")


async def agent_socket(user: Any) -> tuple[Client, dict[str, Any]]:
    client = await agent_raw(user)
    return client, await client.recv_type("ready")


async def agent_raw(user: Any, *, headers: list[tuple[bytes, bytes]] | None = None) -> Client:
    comm = WebsocketCommunicator(application, "/ws/agent/", headers=headers or [])
    if user is not None:
        comm.scope["user"] = user
    connected, _ = await comm.connect()
    assert connected
    return Client(comm)


async def visitor_with_conversation(channel_key: str, body: str = "Hello") -> tuple[Client, dict[str, Any], int]:
    """A visitor who has said hello and sent one message; (client, welcome, conversation id)."""
    visitor, welcome = await widget(channel_key)
    await visitor.send({"type": "message", "client_id": "first", "body": body})
    ack = await visitor.recv_type("ack")
    return visitor, welcome, ack["conversation_id"]


async def taken_by(agent_client: Client, conversation_id: int) -> dict[str, Any]:
    """Take and join a conversation from an agent socket; returns the join's replay frame."""
    await agent_client.send({"type": "take", "conversation_id": conversation_id})
    await agent_client.recv_type("taken")
    await agent_client.send({"type": "join", "conversation_id": conversation_id, "last_seq": 0})
    await agent_client.recv_type("joined")
    return await agent_client.recv_type("replay")
