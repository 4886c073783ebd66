"""A chat that stays unresolved becomes a ticket: when nobody answered in time (the queue overflows
to "leave a message") or when an agent converts it. The ticket keeps what the visitor saw of the
transcript (never internal notes), and the visitor is told its number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from chat import services
from chat.access import access_conversation_for_agent
from chat.models import Conversation, Message
from contactcenter.core.errors import Conflict
from contactcenter.core.staff.models import AgentProfile
from routing.models import QueueEntry
from tickets.models import Ticket
from tickets.services import create_from_conversation

SENDERS: dict[str, str] = {Message.SenderKind.VISITOR: "customer", Message.SenderKind.AGENT: "agent", Message.SenderKind.BOT: "bot"}


def _transcript(conversation_id: int) -> list[dict[str, Any]]:
    messages = Message.objects.filter(conversation_id=conversation_id, internal=False).exclude(sender_kind=Message.SenderKind.SYSTEM)
    return [
        {"sender": SENDERS.get(m.sender_kind, "system"), "body": m.body, "created_at": m.created_at}
        for m in messages.order_by("seq").only("sender_kind", "body", "created_at")
    ]


def conversation_to_ticket(*, conversation: Conversation, reason: str, now: datetime, by: AgentProfile | None = None) -> Ticket:
    """The ticket for this conversation (made once; asking again returns it), the visitor told its
    number in the transcript, and the conversation resolved: the ticket carries the work on."""
    team = conversation.team or conversation.channel.team
    with transaction.atomic():
        ticket = create_from_conversation(
            conversation_id=conversation.pk,
            customer=conversation.customer,
            team=team,
            subject="",
            transcript=_transcript(conversation.pk),
            now=now,
            reason=reason,
            by=by,
        )
        locked = services.lock_conversation(conversation.pk)
        with translation.override(locked.language):
            text = _("We have opened ticket %(number)s for your request; a colleague will follow up.") % {"number": ticket.number}
        services.system_message_locked(locked, event="ticket_created", text=text, now=now, number=ticket.number)
        if locked.status not in (Conversation.Status.RESOLVED, Conversation.Status.CLOSED):
            Conversation.objects.filter(pk=locked.pk).update(status=Conversation.Status.RESOLVED, resolved_at=now)
            locked.status, locked.resolved_at = Conversation.Status.RESOLVED, now
            services.publish_summary(locked, to_team=True)
    return ticket


def overflow_to_ticket(*, conversation: Conversation, entry: QueueEntry, now: datetime) -> None:
    """routing_hooks.overflow_to_ticket_hook: nobody took the chat within the queue's maximum wait."""
    conversation_to_ticket(conversation=conversation, reason="no_agent", now=now)


def convert(*, agent: AgentProfile, conversation_id: int, now: datetime) -> Ticket:
    """An agent turns a conversation they may see into a ticket ("convert to ticket")."""
    conversation = access_conversation_for_agent(agent=agent, conversation_id=conversation_id)
    if conversation.status == Conversation.Status.CLOSED and not Ticket.objects.filter(conversation_id=conversation.pk).exists():
        raise Conflict(_("This conversation is closed."), reason="conversation_closed")
    with transaction.atomic():
        # The chat's routing work ends with it (the agent's load drops, a waiting entry is
        # withdrawn) — routing rows first, the conversation row after (the lock order).
        services.release_routing(conversation.pk, now=now)
        return conversation_to_ticket(conversation=conversation, reason="converted", now=now, by=agent)
