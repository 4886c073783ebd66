"""Thin WebSocket consumers: hand frames and group events to the realtime sessions."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer

from chat.realtime import AgentSession, Session, WidgetSession
from contactcenter.core.json import dumps


class _SessionConsumer(AsyncWebsocketConsumer):
    """The Transport for a session: frames out as JSON text, groups through the channel layer."""

    session: Session

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=dumps(frame))

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups.append(group)

    async def leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        if group in self.groups:
            self.groups.remove(group)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        await super().close(code=code, reason=reason)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.session.receive(text_data, bytes_data)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channel-layer events ("chat.message_posted", ...) go to the session; ASGI ones as usual.
        kind = message.get("type", "")
        if kind.startswith("websocket."):
            await super().dispatch(message)
        elif hasattr(self, "session"):
            await self.session.on_event(message)  # type: ignore[attr-defined]


class WidgetConsumer(_SessionConsumer):
    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        origin = dict(self.scope.get("headers", [])).get(b"origin", b"").decode("latin-1") or None
        self.session = WidgetSession(self, channel_key=(query.get("channel") or [""])[0], origin=origin)
        await self.accept()
        await self.session.connect()  # type: ignore[attr-defined]


class AgentConsumer(_SessionConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        user_id = user.pk if user is not None and user.is_authenticated else None
        self.session = AgentSession(self, user_id=user_id)
        await self.accept()
        await self.session.connect()  # type: ignore[attr-defined]
