"""Thin WebSocket consumers: hand frames and group events to the realtime sessions."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from chat.realtime import AgentSession, Session, WidgetSession
from contactcenter.core.json import dumps


class _SessionConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels ships no types
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
        session = WidgetSession(self, channel_key=(query.get("channel") or [""])[0], origin=origin)
        self.session = session
        await self.accept()
        await session.connect()


def same_site_origin(headers: dict[bytes, bytes]) -> bool:
    """The agent socket rides on the session cookie, so a browser page of another origin (even
    another port of the same host) must not open it: the Origin must be this server's own host or a
    CSRF-trusted origin. Clients without an Origin header are not browsers and cannot borrow cookies."""
    origin = headers.get(b"origin", b"").decode("latin-1")
    if not origin:
        return True
    host = headers.get(b"host", b"").decode("latin-1").lower()
    parts = urlsplit(origin)
    if parts.netloc.lower() == host:
        return True
    return origin.rstrip("/") in {o.rstrip("/") for o in settings.CSRF_TRUSTED_ORIGINS}


class AgentConsumer(_SessionConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        user_id = user.pk if user is not None and user.is_authenticated else None
        if not same_site_origin(dict(self.scope.get("headers", []))):
            user_id = None  # treated as not signed in: error frame, then close 4401
        session = AgentSession(self, user_id=user_id)
        self.session = session
        await self.accept()
        await session.connect()
