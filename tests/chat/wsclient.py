"""Helpers to drive the realtime consumers with Channels' WebsocketCommunicator."""

from __future__ import annotations

import json
from typing import Any

from channels.testing import WebsocketCommunicator

from contactcenter.asgi import application


class Client:
    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.ws = communicator

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 3) -> dict[str, Any]:
        return json.loads(await self.ws.receive_from(timeout=timeout))

    async def recv_type(self, kind: str, timeout: float = 3) -> dict[str, Any]:
        """The next frame of ``kind``, skipping others (typing, conversation updates, ...)."""
        for _ in range(50):
            frame = await self.recv(timeout)
            if frame["type"] == kind:
                return frame
        raise AssertionError(f"no {kind} frame")

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.ws.receive_nothing(timeout=timeout)

    async def close(self) -> None:
        await self.ws.disconnect()


async def widget(channel_key: str, *, origin: str = "https://shop.example", token: str = "", last_seq: int = 0, hello: bool = True) -> tuple[Client, dict[str, Any]]:
    comm = WebsocketCommunicator(application, f"/ws/widget/?channel={channel_key}", headers=[(b"origin", origin.encode())])
    connected, _ = await comm.connect()
    assert connected
    client = Client(comm)
    if not hello:
        return client, {}
    await client.send({"type": "hello", "visitor_token": token, "last_seq": last_seq, "language": "en"})
    return client, await client.recv_type("welcome")


async def agent_socket(user: Any) -> tuple[Client, dict[str, Any]]:
    comm = WebsocketCommunicator(application, "/ws/agent/")
    comm.scope["user"] = user
    connected, _ = await comm.connect()
    assert connected
    client = Client(comm)
    return client, await client.recv_type("ready")
