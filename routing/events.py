"""Routing event names, group names and payloads (what consoles and supervisors will receive once chat subscribes)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from contactcenter.core.events import Event, publish_many_on_commit, publish_on_commit

if TYPE_CHECKING:
    from routing.models import Offer, QueueEntry

OFFERED = "routing.offered"
OFFER_WITHDRAWN = "routing.offer_withdrawn"
ASSIGNED = "routing.assigned"
QUEUE_CHANGED = "routing.queue_changed"
AGENT_STATE_CHANGED = "routing.agent_state_changed"

# Own groups, not chat's ``agent.<id>``: a consumer that has no handler for a routing event type must
# never receive one (Channels raises on unknown types). Chat subscribes to these when it wires routing in.
SUPERVISORS_GROUP = "routing.supervisors"


def agent_group(agent_id: int) -> str:
    return f"routing.agent.{agent_id}"


def queue_group(queue_id: int) -> str:
    return f"routing.queue.{queue_id}"


def entry_payload(entry: QueueEntry) -> dict[str, Any]:
    return {
        "entry_id": entry.pk,
        "queue_id": entry.queue_id,
        "kind": entry.kind,
        "item_id": entry.item_id,
        "status": entry.status,
        "priority": entry.priority,
        "assigned_agent_id": entry.assigned_agent_id,
        "note": entry.note,
    }


def offer_event(offer: Offer, entry: QueueEntry) -> dict[str, Any]:
    return {
        "type": OFFERED,
        "offer_id": offer.pk,
        "expires_at": offer.expires_at.isoformat() if offer.expires_at else None,
        **entry_payload(entry),
    }


def assigned_event(entry: QueueEntry, *, via: str) -> dict[str, Any]:
    return {"type": ASSIGNED, "via": via, **entry_payload(entry)}


def withdrawn_event(entry: QueueEntry, *, reason: str) -> dict[str, Any]:
    return {"type": OFFER_WITHDRAWN, "reason": reason, **entry_payload(entry)}


def queue_changed_event(queue_id: int) -> dict[str, Any]:
    # Only a nudge: listeners read positions and counts through the selectors.
    return {"type": QUEUE_CHANGED, "queue_id": queue_id}


# A dispatch sweep makes hundreds of events; sending them in one hop after commit instead of one
# hop each held the end-to-end bench at ~450 assignments per second instead of ~1,080 (docs/routing.md).
_batch: contextvars.ContextVar[list[Event] | None] = contextvars.ContextVar("routing_event_batch", default=None)


def publish(group: str, event: dict[str, Any]) -> None:
    """Publish after commit; inside :func:`batched`, together with the rest of the batch."""
    batch = _batch.get()
    if batch is not None:
        batch.append((group, event))
    else:
        publish_on_commit(group, event)


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """Gather routing events and hand them over in one go; use inside the transaction (they still wait for commit)."""
    if _batch.get() is not None:  # already batching: the outer block sends
        yield
        return
    batch: list[Event] = []
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    publish_many_on_commit(batch)
