"""What the desk may know of a chat for follow-up visits: tickets may not import chat, so chat registers a lookup."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConversationFacts:
    id: int
    customer_id: int
    team_id: int | None
    assignee_id: int | None
    finished: bool  # resolved or closed


Lookup = Callable[[int], "ConversationFacts | None"]
_lookup: list[Lookup] = []


def register(lookup: Lookup) -> None:
    """Chat's ``AppConfig.ready()`` registers how to read a conversation (replacing an earlier one)."""
    _lookup[:] = [lookup]


def find(conversation_id: int) -> ConversationFacts | None:
    return _lookup[0](conversation_id) if _lookup else None
