"""Chat event names, group names and payload builders (what realtime clients receive)."""

from __future__ import annotations

from typing import Any

from chat.models import Attachment, Conversation, Message

MESSAGE_POSTED = "chat.message_posted"
CONVERSATION_CHANGED = "chat.conversation_changed"
TYPING = "chat.typing"
READ = "chat.read"
PRESENCE = "chat.presence"


def conversation_group(conversation_id: int, *, internal: bool = False) -> str:
    """Visitors join only the public group; internal notes go to the ``.internal`` group."""
    return f"conversation.{conversation_id}.internal" if internal else f"conversation.{conversation_id}"


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


def agent_group(agent_id: int) -> str:
    return f"agent.{agent_id}"


def channel_group(channel_id: int) -> str:
    return f"channel.{channel_id}"


def attachment_payload(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
    }


def message_payload(message: Message, *, attachments: list[Attachment] | None = None) -> dict[str, Any]:
    if attachments is None:
        attachments = list(message.attachments.all())
    sender: dict[str, Any] = {"kind": message.sender_kind}
    if message.sender_agent_id is not None and message.sender_agent is not None:
        sender["name"] = message.sender_agent.display_name
        sender["agent_id"] = message.sender_agent_id
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "client_id": message.client_id,
        "sender": sender,
        "body": message.body,
        "meta": message.meta,
        "internal": message.internal,
        "attachments": [attachment_payload(a) for a in attachments],
        "created_at": message.created_at.isoformat(),
    }


def conversation_summary(conversation: Conversation, *, last_body: str | None = None) -> dict[str, Any]:
    """What lists show; needs channel, customer and assignee loaded (select_related)."""
    assignee = conversation.assignee
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "channel": {"id": conversation.channel_id, "name": conversation.channel.name},
        "team_id": conversation.team_id,
        "customer": {"id": conversation.customer_id, "name": conversation.customer.display_name},
        "assignee": {"id": assignee.pk, "name": assignee.display_name} if assignee else None,
        "language": conversation.language,
        "last_seq": conversation.last_seq,
        "unread": conversation.unread_for_agent,
        "last_body": last_body,
        "last_message_at": conversation.last_message_at.isoformat() if conversation.last_message_at else None,
        "created_at": conversation.created_at.isoformat(),
    }


def visitor_conversation_view(conversation: Conversation, *, last_public_seq: int) -> dict[str, Any]:
    """The part of a conversation a visitor may see: no team, no internal counters.

    ``last_public_seq`` is the seq of the last message the visitor can see: an internal note's seq
    would send the client asking for a message it can never get.
    """
    assignee = conversation.assignee
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "last_seq": last_public_seq,
        "agent": {"name": assignee.display_name} if assignee else None,
        "agent_last_read_seq": conversation.agent_last_read_seq,
    }
