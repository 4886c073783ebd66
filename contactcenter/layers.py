"""The embedded profile's in-memory channel layer, without a scan of every socket per message."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer as _ChannelsInMemoryChannelLayer


class InMemoryChannelLayer(_ChannelsInMemoryChannelLayer):  # type: ignore[misc]  # channels ships no type hints
    """Channels' in-memory layer with its expiry sweep run at most once a second.

    Channels sweeps every channel queue and every group membership on each send and receive, so
    one message costs O(connected sockets): at 2,000 sockets the layer, not the application, sets
    the throughput. Expiry only matters for messages nobody reads for ``expiry`` seconds; sweeping
    once a second keeps that behaviour (a second later at most). group_send also puts the message
    on each member's queue directly instead of creating a task per member.
    """

    sweep_interval_s = 1.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < self.sweep_interval_s:
            return
        self._last_sweep = now
        super()._clean_expired()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            # A full channel drops the message, as in Channels: clients replay from the database.
            with contextlib.suppress(ChannelFull):
                await self.send(channel, message)
