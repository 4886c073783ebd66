"""A visitor's rating of a resolved chat (stored by tickets.csat), and what the desk may read of a chat for follow-up visits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from chat.models import Conversation
from contactcenter.core.errors import NotFound
from tickets.csat import conversations
from tickets.csat import services as csat_services
from tickets.csat.errors import NotRatable

FINISHED = (Conversation.Status.RESOLVED, Conversation.Status.CLOSED)


def rate_conversation(*, conversation_id: int, customer_id: int, score: Any, comment: Any, now: datetime) -> dict[str, Any]:
    """Once per conversation, by its visitor, after it is resolved (or closed). Returns the ack's fields."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().filter(pk=conversation_id, customer_id=customer_id).first()
        if conversation is None:
            raise NotFound(_("No conversation yet."))
        if conversation.status not in FINISHED:
            raise NotRatable(_("You can rate the chat once it is resolved."), reason="not_resolved")
        rating = csat_services.rate_conversation(
            conversation_id=conversation.pk,
            customer_id=customer_id,
            team_id=conversation.team_id,
            agent_id=conversation.assignee_id,
            score=score,
            comment=comment,
            now=now,
        )
    return {"conversation_id": conversation.pk, "score": rating.score}


def conversation_facts(conversation_id: int) -> conversations.ConversationFacts | None:
    row = Conversation.objects.filter(pk=conversation_id).values("pk", "customer_id", "team_id", "assignee_id", "status").first()
    if row is None:
        return None
    return conversations.ConversationFacts(
        id=row["pk"],
        customer_id=row["customer_id"],
        team_id=row["team_id"],
        assignee_id=row["assignee_id"],
        finished=row["status"] in FINISHED,
    )


def register() -> None:
    conversations.register(conversation_facts)
