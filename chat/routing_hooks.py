"""Chat's side of routing: the handlers routing calls for kind "chat", and chat's periodic job.

Routing never imports chat; ``ChatConfig.ready()`` registers these. The handlers for ``assigned`` and
``overflowed`` run inside the routing transaction (their writes commit or roll back with it);
``position_changed`` runs after commit and only tells the waiting visitor where they stand.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from chat import events, services
from chat.models import Conversation
from contactcenter.core import periodic
from contactcenter.core.events import publish_on_commit
from routing import handlers
from routing import services as routing
from routing.handlers import RoutingEvent
from routing.models import Queue, QueueEntry

logger = logging.getLogger(__name__)

QUEUE_POSITION = "chat.queue_position"

# Re-exported for the bot's handoff and the ticket desk: the one way a conversation joins a queue.
enqueue_conversation = services.enqueue_conversation
dispatch_after_commit = services.dispatch_after_commit

#: Called when a chat overflows to "leave a message (ticket)"; the ticket desk installs its hook here.
overflow_to_ticket_hook: Any = None


def register() -> None:
    handlers.register(
        "chat",
        assigned=_assigned,
        overflowed=_overflowed,
        position_changed=_position_changed,
    )
    periodic.register("chat.visitors_gone", abandon_departed, every_s=5.0)


def _assigned(event: RoutingEvent) -> None:
    entry = event.entry
    assert entry.assigned_agent_id is not None
    now = entry.assigned_at or timezone.now()
    served = services.assign_from_routing(
        conversation_id=entry.item_id, agent_id=entry.assigned_agent_id, now=now, via=event.via, note=entry.note or ""
    )
    if not served:
        # Over before anyone came (resolved, or the visitor left): give the agent's slot back at once.
        QueueEntry.objects.filter(pk=entry.pk).update(finished_at=now)


def _overflowed(event: RoutingEvent) -> None:
    """Waited past the queue's maximum: moved to another queue, or asked to leave a message."""
    entry = event.entry
    conversation = Conversation.objects.select_related("channel", "customer", "assignee").filter(pk=entry.item_id).first()
    if conversation is None:
        return
    now = entry.ended_at or timezone.now()
    if event.target is not None:
        if event.target.team_id is not None and event.target.team_id != conversation.team_id:
            Conversation.objects.filter(pk=conversation.pk).update(team_id=event.target.team_id)
            conversation.team_id = event.target.team_id
            services.publish_summary(conversation, to_team=True)
        return
    if entry.queue.overflow_action == Queue.OverflowAction.TICKET and overflow_to_ticket_hook is not None:
        overflow_to_ticket_hook(conversation=conversation, entry=entry, now=now)
        return
    services.post_system_message(
        conversation_id=conversation.pk,
        event="no_agent_available",
        text="Sorry, nobody is free to answer right now. Leave your message here and we will get back to you.",
        now=now,
    )


def _position_changed(event: RoutingEvent) -> None:
    entry = event.entry
    publish_on_commit(
        events.conversation_group(entry.item_id),
        {
            "type": QUEUE_POSITION,
            "conversation_id": entry.item_id,
            "position": event.position,
            "eta_s": event.eta_s,
        },
    )


def position_frame(conversation_id: int) -> dict[str, Any] | None:
    """The visitor's current place in line (the database is the truth), or None when not waiting."""
    from routing.selectors import entry_position

    entry = services.live_entry(conversation_id)
    if entry is None:
        return None
    position = entry_position(entry=entry)
    if position is None:
        return None
    return {"type": "queue_position", "conversation_id": conversation_id, "position": position.position, "eta_s": position.eta_s}


def abandon_departed(now: datetime) -> int:
    """Queued visitors not seen within the grace have left: abandoned (counted), conversation closed."""
    cutoff = now - timedelta(seconds=settings.CC_VISITOR_GRACE_S)
    waiting = QueueEntry.objects.filter(kind="chat", status__in=QueueEntry.LIVE).values_list("item_id", flat=True)
    gone = list(
        Conversation.objects.filter(pk__in=list(waiting), status=Conversation.Status.QUEUED, visitor_last_seen_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:200]
    )
    left = 0
    for conversation_id in gone:
        try:
            left += services.visitor_left(conversation_id=conversation_id, now=now)
        except Exception:
            logger.exception("could not close conversation %s of a departed visitor", conversation_id)
    return left


def pending_offers(agent_id: int) -> list[dict[str, Any]]:
    """The agent's open chat offers, for the console's ``ready`` frame after a (re)connect."""
    from routing.models import Offer

    offers = Offer.objects.filter(agent_id=agent_id, status=Offer.Status.PENDING, entry__kind="chat").select_related("entry")
    return [offer_frame(offer.pk, offer.entry.item_id, offer.entry.queue_id, offer.expires_at, offer.entry.note) for offer in offers]


def offer_frame(offer_id: int, conversation_id: int, queue_id: int, expires_at: datetime | str | None, note: str = "") -> dict[str, Any]:
    if isinstance(expires_at, datetime):
        expires_at = expires_at.isoformat()
    return {
        "type": "offer",
        "offer_id": offer_id,
        "conversation_id": conversation_id,
        "queue_id": queue_id,
        "expires_at": expires_at,
        "note": note,
    }


def accept_offer(*, offer_id: int, agent: Any, now: datetime) -> int:
    entry = routing.accept_offer(offer_id=offer_id, agent=agent, now=now)
    return entry.item_id


def decline_offer(*, offer_id: int, agent: Any, now: datetime) -> int:
    entry = routing.decline_offer(offer_id=offer_id, agent=agent, now=now)
    services.dispatch_after_commit([entry.queue_id])
    return entry.item_id


def set_pause(*, agent: Any, reason: str, now: datetime) -> None:
    """Pause routing to the agent with a reason, or resume (empty reason) and offer what waits."""
    state = routing.set_pause(agent=agent, reason=reason, now=now)
    if not state.pause_reason:
        services.dispatch_after_commit(None)


def pause_reason(agent_id: int) -> str:
    from routing.models import AgentRoutingState

    return AgentRoutingState.objects.filter(agent_id=agent_id).values_list("pause_reason", flat=True).first() or ""
