"""Socket.IO long-polling fallback for networks that block WebSockets.

It carries the same JSON frames as /ws/widget/ (socket.io event "frame" both ways) and drives
the same WidgetSession, so both transports call the same services. Each socket.io session gets
its own channel-layer channel, pumped by a task. Several processes need sticky sessions for
polling (docs/operations.md).

A connection the session refuses (unknown channel, origin not allowed) is answered with a
socket.io CONNECT_ERROR whose data is ``{"code": <close code>, "frame": <error frame>}``: frames
emitted before a namespace is connected never reach a client, and a disconnect from inside the
connect handler is ignored by python-socketio.
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
        # Until the connect handler has accepted, frames and a close are kept for the refusal.
        self.accepted = False
        self.early_frames: list[dict[str, Any]] = []
        self.refused_code: int | None = None

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
        if not self.accepted:
            self.early_frames.append(frame)
            return
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
        if not self.accepted:
            self.refused_code = code
            return
        await sio.emit("close", {"code": code}, to=self.sid)
        await sio.disconnect(self.sid)

    async def accept(self) -> None:
        self.accepted = True
        for frame in self.early_frames:
            await sio.emit("frame", frame, to=self.sid)
        self.early_frames.clear()

    async def stop(self) -> None:
        if self.pump is not None:
            self.pump.cancel()
        if self.layer is not None:
            for group in list(self.groups):
                await self.layer.group_discard(group, self.channel_name)
        self.groups.clear()


_transports: dict[str, SocketIOTransport] = {}


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
    try:
        async with transport.lock:
            accepted = await session.connect()
            if accepted:
                await transport.accept()
    except BaseException:
        _transports.pop(sid, None)
        await transport.stop()
        raise
    if not accepted:
        _transports.pop(sid, None)
        await transport.stop()
        error = transport.early_frames[-1] if transport.early_frames else {}
        raise socketio.exceptions.ConnectionRefusedError(
            str(error.get("message", "Connection refused.")), {"code": transport.refused_code, "frame": error}
        )


async def frame(sid: str, data: Any) -> None:
    transport = _transports.get(sid)
    if transport is None or transport.session is None:
        return
    from contactcenter.core.json import dumps

    text = data if isinstance(data, str) else dumps(data)
    async with transport.lock:
        await transport.session.receive(text, None)


async def disconnect(sid: str, reason: Any = None) -> None:
    transport = _transports.pop(sid, None)
    if transport is not None:
        await transport.stop()


# Registered without the decorator, which is untyped and would hide the handlers from mypy.
sio.on("connect", handler=connect)
sio.on("frame", handler=frame)
sio.on("disconnect", handler=disconnect)


def mount_polling(app: Any) -> Any:
    """Wrap the ASGI app so /socket.io/ is served by python-socketio and the rest by ``app``."""
    return socketio.ASGIApp(sio, other_asgi_app=app, socketio_path="socket.io")
