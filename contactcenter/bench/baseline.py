"""The baseline: a bare Channels consumer doing the chat benchmark's fan-out, and nothing else.

Both sockets of a pair join ``pair.<id>``; a frame from either is group_sent to the pair as is,
so the "agent" receives the "visitor"'s frame (and the visitor its echo, the baseline's ack).
No database, no parsing: what the server and layer cost before the product adds anything.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer


class PairConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels ships no type hints
    pair_group = ""

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        pair = (query.get("pair") or [""])[0]
        if not pair.isdigit():
            await self.close(code=4400)
            return
        self.pair_group = f"pair.{pair}"
        await self.channel_layer.group_add(self.pair_group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.pair_group:
            await self.channel_layer.group_discard(self.pair_group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is not None:
            await self.channel_layer.group_send(self.pair_group, {"type": "pair.frame", "text": text_data})

    async def pair_frame(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])
