"""Reads of conversations and messages for consumers, views and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery

from bot import selectors as bot_selectors
from chat.access import conversations_visible_to_agent
from chat.events import conversation_summary, message_payload
from chat.models import Attachment, Conversation, Message
from contactcenter.core.staff.models import AgentProfile

REPLAY_PAGE = 200
INBOX_LIMIT = 200


def _messages(conversation_id: int) -> QuerySet[Message]:
    return (
        Message.objects.filter(conversation_id=conversation_id)
        .select_related("sender_agent")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
    )


def messages_after(*, conversation_id: int, after_seq: int, include_internal: bool, limit: int = REPLAY_PAGE) -> list[dict[str, Any]]:
    """Messages with seq > after_seq in seq order, at most ``limit`` (page on the last seq)."""
    qs = _messages(conversation_id).filter(seq__gt=after_seq)
    if not include_internal:
        qs = qs.filter(internal=False)
    return [message_payload(m) for m in qs.order_by("seq")[:limit]]


def last_message_seq(*, conversation_id: int, include_internal: bool) -> int:
    """The seq of the conversation's last message (the last public one without notes); 0 if none."""
    qs = Message.objects.filter(conversation_id=conversation_id)
    if not include_internal:
        qs = qs.filter(internal=False)
    return qs.order_by("-seq").values_list("seq", flat=True).first() or 0


def latest_visitor_conversation(*, customer_id: int, channel_id: int) -> Conversation | None:
    """The conversation a returning visitor sees: the newest one that is not closed."""
    return (
        Conversation.objects.select_related("assignee")
        .filter(customer_id=customer_id, channel_id=channel_id)
        .exclude(status=Conversation.Status.CLOSED)
        .order_by("-pk")
        .first()
    )


def _summaries(qs: QuerySet[Conversation]) -> list[dict[str, Any]]:
    rows = list(qs.select_related("channel", "customer", "assignee").order_by("-last_message_at", "-pk")[:INBOX_LIMIT])
    last_bodies = _last_bodies([c.pk for c in rows])
    return [conversation_summary(c, last_body=last_bodies.get(c.pk)) for c in rows]


def _last_bodies(conversation_ids: list[int]) -> dict[int, str]:
    if not conversation_ids:
        return {}
    # The preview is the last line someone wrote: notes stay with the staff, and system lines
    # ("Alice joined") are worded by each client in its own language from their meta.
    latest = (
        Message.objects.filter(conversation_id=OuterRef("pk"), internal=False)
        .exclude(sender_kind=Message.SenderKind.SYSTEM)
        .order_by("-seq")
        .values("body")[:1]
    )
    return dict(Conversation.objects.filter(pk__in=conversation_ids).annotate(b=Subquery(latest)).values_list("pk", "b"))


def agent_inbox(*, agent: AgentProfile) -> dict[str, list[dict[str, Any]]]:
    """The console's two lists: my open conversations, and unassigned ones I may take."""
    visible = conversations_visible_to_agent(agent=agent)
    mine = visible.filter(assignee=agent, status__in=[Conversation.Status.OPEN])
    unassigned = visible.filter(assignee__isnull=True, status__in=[Conversation.Status.QUEUED, Conversation.Status.BOT])
    return {"mine": _summaries(mine), "unassigned": _summaries(unassigned)}


def conversation_insights(*, conversation_id: int, last: int = 20) -> dict[str, Any]:
    """What the bot's classifier makes of the visitor's recent messages: sentiment (negative is
    flagged) and suggested type / category labels (bot.classify)."""
    texts = list(
        Message.objects.filter(conversation_id=conversation_id, sender_kind=Message.SenderKind.VISITOR)
        .order_by("-seq")
        .values_list("body", flat=True)[:last]
    )
    return bot_selectors.text_insight(texts[::-1]).as_dict()


def customer_conversations(*, agent: AgentProfile, customer_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """Earlier conversations of a customer that this agent may see, newest first."""
    qs = conversations_visible_to_agent(agent=agent).filter(customer_id=customer_id)
    rows = list(qs.select_related("channel", "customer", "assignee").order_by("-pk")[:limit])
    bodies = _last_bodies([c.pk for c in rows])
    return [conversation_summary(c, last_body=bodies.get(c.pk)) for c in rows]


def agent_conversations(*, agent: AgentProfile, status: str | None = None, assigned_to_me: bool | None = None) -> list[dict[str, Any]]:
    """Conversations this agent may see for the REST API, newest activity first (``INBOX_LIMIT`` at most).

    ``assigned_to_me`` True keeps the agent's own, False the unassigned ones, None both and others'.
    """
    qs = conversations_visible_to_agent(agent=agent)
    if status:
        qs = qs.filter(status=status)
    if assigned_to_me is True:
        qs = qs.filter(assignee=agent)
    elif assigned_to_me is False:
        qs = qs.filter(assignee__isnull=True)
    return _summaries(qs)


def transfer_targets(*, agent: AgentProfile) -> dict[str, Any]:
    """Whom a conversation can go to: the other active agents (with status and routing pause) and the active chat queues."""
    from routing.models import AgentRoutingState, Queue, QueueEntry

    paused = set(AgentRoutingState.objects.exclude(pause_reason="").values_list("agent_id", flat=True))
    agents = []
    for other in AgentProfile.objects.filter(user__is_active=True).exclude(pk=agent.pk).prefetch_related("teams").order_by("display_name"):
        agents.append(
            {
                "id": other.pk,
                "name": other.display_name,
                "status": other.status,
                "paused": other.pk in paused,
                "teams": [team.name for team in other.teams.all()],
            }
        )
    waiting = dict(
        QueueEntry.objects.filter(kind="chat", status__in=QueueEntry.LIVE)
        .values_list("queue_id")
        .annotate(n=Count("id"))
        .values_list("queue_id", "n")
    )
    queues = [
        {"id": queue.pk, "name": queue.name, "team": queue.team.name if queue.team else None, "waiting": waiting.get(queue.pk, 0)}
        for queue in Queue.objects.filter(kind="chat", is_active=True).select_related("team").order_by("name")
    ]
    return {"agents": agents, "queues": queues}
