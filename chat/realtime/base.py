"""Realtime sessions for visitors and agents, independent of transport (WebSocket or socket.io).

A transport parses nothing: it hands text frames and channel-layer events to a session and gives
the session a way to send frames and join groups. Sessions parse, authorize, call services (one
worker-thread hop per write) and forward events; events are never looked up per delivery.
This module holds what both sessions share; widget.py and agent.py hold each side.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from channels.db import database_sync_to_async

from chat import selectors
from chat.protocol import (
    CLOSE_FLOOD,
    RateLimited,
    TokenBucket,
    UnknownType,
    error_frame,
    parse_frame,
)
from contactcenter.core.errors import ContactCenterError
from contactcenter.core.events import collecting, send_collected

logger = logging.getLogger(__name__)


class Transport(Protocol):
    async def send_frame(self, frame: dict[str, Any]) -> None: ...
    async def join(self, group: str) -> None: ...
    async def leave(self, group: str) -> None: ...
    async def close(self, code: int) -> None: ...


async def run_service(fn: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Run a sync service in the DB thread and send its events from here after commit."""
    with collecting() as collected:
        result = await database_sync_to_async(fn)(**kwargs)
    await send_collected(collected)
    return result


Handler = Callable[[dict[str, Any]], Awaitable[None]]


class Session:
    """Shared frame loop: size and JSON checks, rate limit, dispatch, error frames."""

    handlers: dict[str, str] = {}

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.bucket = TokenBucket()
        self.closed = False

    async def receive(self, text: str | None = None, data: bytes | None = None) -> None:
        if self.closed:
            return
        frame: dict[str, Any] = {}
        try:
            if not self.bucket.allow():
                if self.bucket.flooding:
                    await self.transport.send_frame(error_frame(RateLimited("Flooding; the connection is closed.")))
                    await self.close(CLOSE_FLOOD)
                    return
                raise RateLimited()
            frame = parse_frame(text, data)
            method = self.handlers.get(frame["type"])
            if method is None:
                raise UnknownType(f"Unknown frame type {frame['type'][:40]!r}.", allowed=sorted(self.handlers))
            await getattr(self, method)(frame)
        except ContactCenterError as error:
            await self.transport.send_frame(error_frame(error, ref=frame.get("client_id", frame.get("ref"))))
        except Exception:
            logger.exception("frame handling failed")
            await self.transport.send_frame(
                error_frame(
                    ContactCenterError("Something went wrong on our side; nothing was lost, try again."),
                    ref=frame.get("client_id", frame.get("ref")),
                )
            )

    async def close(self, code: int) -> None:
        self.closed = True
        await self.transport.close(code)

    async def send(self, frame: dict[str, Any]) -> None:
        if not self.closed:
            await self.transport.send_frame(frame)


class ConversationStream:
    """Delivers one conversation's messages in seq order, exactly once, to one client.

    Live events skip what was already sent; a gap (a lost event, or one still in flight from
    another process) is filled from the database, which is the source of truth.
    """

    def __init__(self, conversation_id: int, *, include_internal: bool) -> None:
        self.conversation_id = conversation_id
        self.include_internal = include_internal
        self.sent_seq = 0

    async def replay(self, session: Session, after_seq: int) -> None:
        self.sent_seq = max(self.sent_seq, after_seq)
        while True:
            messages, last_seq = await database_sync_to_async(self._page)(self.sent_seq)
            if messages:
                self.sent_seq = messages[-1]["seq"]
            elif last_seq < self.sent_seq:
                # The client claimed a seq this conversation never reached (e.g. one of an older
                # conversation): trusting it would skip the messages up to it when they come.
                self.sent_seq = last_seq
            await session.send(
                {
                    "type": "replay",
                    "conversation_id": self.conversation_id,
                    "messages": messages,
                    "more": len(messages) >= selectors.REPLAY_PAGE,
                }
            )
            if len(messages) < selectors.REPLAY_PAGE:
                return

    def _page(self, after_seq: int) -> tuple[list[dict[str, Any]], int]:
        """One replay page, and (only when it is empty) the last seq there is, in one thread hop."""
        messages = selectors.messages_after(
            conversation_id=self.conversation_id, after_seq=after_seq, include_internal=self.include_internal
        )
        if messages or after_seq == 0:
            return messages, after_seq
        return messages, selectors.last_message_seq(conversation_id=self.conversation_id, include_internal=self.include_internal)

    async def catch_up(self, session: Session, last_seq: int) -> None:
        """The heartbeat found ``last_seq`` in the database: send what a lost last event did not bring."""
        if last_seq > self.sent_seq:
            await self.replay(session, self.sent_seq)

    async def deliver(self, session: Session, message: dict[str, Any]) -> None:
        seq = message["seq"]
        if message.get("internal") and not self.include_internal:
            return
        if seq <= self.sent_seq:
            return
        if seq == self.sent_seq + 1:
            self.sent_seq = seq
            await session.send({"type": "message", "message": message})
            return
        await self.replay(session, self.sent_seq)


def limits() -> dict[str, int]:
    from django.conf import settings

    return {
        "max_frame_bytes": settings.CC_MAX_FRAME_BYTES,
        "max_message_chars": settings.CC_MAX_MESSAGE_CHARS,
        "max_attachment_bytes": settings.CC_ATTACHMENT_MAX_BYTES,
    }
