"""Socket.IO long-polling fallback for networks that block WebSockets.

It carries the same JSON frames as /ws/widget/ (socket.io event "frame" both ways) and drives
the same WidgetSession, so both transports call the same services. Each socket.io session gets
its own channel-layer channel, pumped by a task. Several processes need sticky sessions for
polling (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import parse_qs

import socketio
from channels.layers import get_channel_layer
from django.conf import settings

from chat.realtime import WidgetSession

logger = logging.getLogger(__name__)

sio = socketio.AsyncServer(
    async_mode="asgi",
    # Origins are checked per channel in WidgetSession.connect, like the WebSocket path.
    cors_allowed_origins="*",
    transports=["polling"],
    max_http_buffer_size=settings.CC_MAX_FRAME_BYTES * 4,
    ping_interval=20,
    ping_timeout=20,
)


class SocketIOTransport:
    def __init__(self, sid: str) -> None:
        self.sid = sid
        self.layer = get_channel_layer()
        self.channel_name = ""
        self.groups: set[str] = set()
        self.pump: asyncio.Task[None] | None = None
        # Frames and events are handled one at a time, as in a Channels consumer.
        self.lock = asyncio.Lock()
        self.session: WidgetSession | None = None

    async def start(self) -> None:
        assert self.layer is not None
        self.channel_name = await self.layer.new_channel(prefix="sio.")
        self.pump = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        assert self.layer is not None
        while True:
            event = await self.layer.receive(self.channel_name)
            if self.session is not None:
                async with self.lock:
                    try:
                        await self.session.on_event(event)
                    except Exception:
                        logger.exception("socket.io event delivery failed")

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await sio.emit("frame", frame, to=self.sid)

    async def join(self, group: str) -> None:
        assert self.layer is not None
        await self.layer.group_add(group, self.channel_name)
        self.groups.add(group)

    async def leave(self, group: str) -> None:
        assert self.layer is not None
        await self.layer.group_discard(group, self.channel_name)
        self.groups.discard(group)

    async def close(self, code: int) -> None:
        await sio.emit("close", {"code": code}, to=self.sid)
        await sio.disconnect(self.sid)

    async def stop(self) -> None:
        if self.pump is not None:
            self.pump.cancel()
        if self.layer is not None:
            for group in list(self.groups):
                await self.layer.group_discard(group, self.channel_name)
        self.groups.clear()


_transports: dict[str, SocketIOTransport] = {}


@sio.event
async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    channel_key = (query.get("channel") or [""])[0]
    if isinstance(auth, dict) and isinstance(auth.get("channel"), str):
        channel_key = auth["channel"]
    transport = SocketIOTransport(sid)
    _transports[sid] = transport
    await transport.start()
    session = WidgetSession(transport, channel_key=channel_key, origin=environ.get("HTTP_ORIGIN"))
    transport.session = session
    async with transport.lock:
        await session.connect()


@sio.event
async def frame(sid: str, data: Any) -> None:
    transport = _transports.get(sid)
    if transport is None or transport.session is None:
        return
    from contactcenter.core.json import dumps

    text = data if isinstance(data, str) else dumps(data)
    async with transport.lock:
        await transport.session.receive(text, None)


@sio.event
async def disconnect(sid: str, reason: Any = None) -> None:
    transport = _transports.pop(sid, None)
    if transport is not None:
        await transport.stop()


def mount_polling(app: Any) -> Any:
    """Wrap the ASGI app so /socket.io/ is served by python-socketio and the rest by ``app``."""
    return socketio.ASGIApp(sio, other_asgi_app=app, socketio_path="socket.io")
