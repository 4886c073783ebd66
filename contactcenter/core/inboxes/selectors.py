"""Reads of channels."""

from __future__ import annotations

from contactcenter.core.errors import NotFound
from contactcenter.core.inboxes.models import Channel


def active_channel_by_key(*, public_key: str) -> Channel:
    channel = Channel.objects.filter(public_key=public_key, is_active=True).select_related("team").first()
    if channel is None:
        raise NotFound("Unknown or inactive channel.")
    return channel
