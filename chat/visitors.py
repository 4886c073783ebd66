"""Visitor tokens: the widget's proof of which visitor (and channel) it speaks for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core import signing

SALT = "contactcenter.widget.visitor"


@dataclass(frozen=True)
class VisitorIdentity:
    visitor_id: str
    channel_id: int


def issue_token(*, channel_id: int) -> tuple[str, VisitorIdentity]:
    identity = VisitorIdentity(visitor_id=uuid.uuid4().hex, channel_id=channel_id)
    return signing.dumps({"v": identity.visitor_id, "c": channel_id}, salt=SALT), identity


def read_token(token: str, *, channel_id: int) -> VisitorIdentity | None:
    """The identity in a token for this channel, or None if forged, garbled or for another channel."""
    if not isinstance(token, str) or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("c") != channel_id or not isinstance(data.get("v"), str):
        return None
    return VisitorIdentity(visitor_id=data["v"], channel_id=channel_id)
