"""Who may see or act on a conversation or attachment. Raises NotFound rather than leak existence."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from chat.models import Attachment, Conversation
from contactcenter.core.errors import NotFound
from contactcenter.core.staff.models import AgentProfile


def conversations_visible_to_agent(*, agent: AgentProfile) -> QuerySet[Conversation]:
    if agent.is_supervisor:
        return Conversation.objects.all()
    return Conversation.objects.filter(Q(team__in=agent.teams.all()) | Q(assignee=agent))


def agent_can_see(*, agent: AgentProfile, conversation: Conversation) -> bool:
    if agent.is_supervisor or conversation.assignee_id == agent.pk:
        return True
    return conversation.team_id is not None and agent.teams.filter(pk=conversation.team_id).exists()


def access_conversation_for_agent(*, agent: AgentProfile, conversation_id: int) -> Conversation:
    conversation = Conversation.objects.select_related("channel", "customer", "assignee").filter(pk=conversation_id).first()
    if conversation is None or not agent_can_see(agent=agent, conversation=conversation):
        raise NotFound("No such conversation.")
    return conversation


def access_conversation_for_visitor(*, customer_id: int, channel_id: int, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.select_related("channel", "customer", "assignee")
        .filter(pk=conversation_id, customer_id=customer_id, channel_id=channel_id)
        .first()
    )
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


def access_attachment_for_agent(*, agent: AgentProfile, attachment_id: int) -> Attachment:
    attachment = Attachment.objects.select_related("conversation", "message").filter(pk=attachment_id).first()
    if attachment is None or not agent_can_see(agent=agent, conversation=attachment.conversation):
        raise NotFound("No such attachment.")
    return attachment


def access_attachment_for_visitor(*, customer_id: int, channel_id: int, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("conversation", "message")
        .filter(pk=attachment_id, conversation__customer_id=customer_id, conversation__channel_id=channel_id)
        .first()
    )
    # Attachments on internal notes, and agents' uploads not yet sent, stay with the staff.
    if attachment is None:
        raise NotFound("No such attachment.")
    if attachment.uploaded_by_kind != "visitor" and (attachment.message is None or attachment.message.internal):
        raise NotFound("No such attachment.")
    return attachment
