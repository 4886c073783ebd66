"""Every write to conversations and messages: one transaction each, events published on commit."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bot.selectors import answers_first as bot_answers_first
from chat import events
from chat.access import agent_can_see
from chat.models import Attachment, Conversation, Message
from chat.selectors import latest_visitor_conversation
from contactcenter.core.customers.models import Customer
from contactcenter.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from contactcenter.core.events import publish_on_commit
from contactcenter.core.inboxes.models import Channel
from contactcenter.core.staff.models import AgentProfile
from routing import errors as routing_errors
from routing import services as routing
from routing.models import Offer, Queue, QueueEntry
from routing.selectors import queue_ids_served_by

logger = logging.getLogger(__name__)

CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
SUPPORTED_LANGUAGES = ("en", "zh-hans")

# Types we accept, by what the bytes are (never by the client's claim). No SVG or HTML: they run script.
ALLOWED_ATTACHMENT_TYPES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/msword",
    "application/vnd.ms-excel",
}


@dataclass(frozen=True)
class Sender:
    """Who writes: a visitor (customer id), an agent, the bot or the system."""

    kind: str
    agent: AgentProfile | None = None
    customer_id: int | None = None

    @classmethod
    def visitor(cls, customer_id: int) -> Sender:
        return cls(kind=Message.SenderKind.VISITOR, customer_id=customer_id)

    @classmethod
    def for_agent(cls, agent: AgentProfile) -> Sender:
        return cls(kind=Message.SenderKind.AGENT, agent=agent)

    @classmethod
    def system(cls) -> Sender:
        return cls(kind=Message.SenderKind.SYSTEM)


@dataclass(frozen=True)
class PostResult:
    message: Message
    created: bool
    payload: dict[str, Any]
    # A new visitor message in a conversation that is with the bot: chat.bot_bridge.respond next.
    needs_bot: bool = False


def normalize_language(language: str | None) -> str:
    language = (language or "").lower()
    return "zh-hans" if language.startswith("zh") else "en"


def start_conversation(
    *,
    channel: Channel,
    customer: Customer,
    language: str,
    source_url: str = "",
    prechat: dict[str, str] | None = None,
    first_message: str = "",
) -> Conversation:
    """Open a conversation for a visitor: with the bot first when the channel's bot answers
    (docs/bot.md), else straight into line for an agent (routing picks the queue).

    ``first_message``: the text the conversation opens with, when a message opens it (source rules
    on keywords read it)."""
    now = timezone.now()
    with_bot = bot_answers_first(channel)
    with transaction.atomic():
        conversation = Conversation.objects.create(
            channel=channel,
            customer=customer,
            team_id=channel.team_id,
            status=Conversation.Status.BOT if with_bot else Conversation.Status.QUEUED,
            language=normalize_language(language),
            source_url=source_url[:2000],
            prechat=prechat or {},
        )
        conversation.channel = channel
        conversation.customer = customer
        if not with_bot:
            entry = enqueue_conversation(conversation, now=now, first_message=first_message)
            dispatch_after_commit([entry.queue_id])
        _publish_summary(conversation, to_team=True)
    return conversation


# -- routing ---------------------------------------------------------------------------------------
# Lock order with routing: queue entries (and agents' routing rows) first, the conversation row
# last. Routing's handlers (assign_from_routing) lock the conversation while the dispatcher holds
# entries, so nothing here may hold a conversation row while it waits for an entry.


def default_queue(channel: Channel) -> Queue:
    """The queue a channel's chats join when no source rule says otherwise: the oldest active chat
    queue of the channel's team, made on first use so that a new channel routes without setup."""
    queue = Queue.objects.filter(kind=Queue._meta.get_field("kind").default, team_id=channel.team_id, is_active=True).order_by("id").first()
    if queue is not None:
        return queue
    name = f"{channel.team.name} chat" if channel.team_id is not None and channel.team is not None else "Chat"
    queue, _created = Queue.objects.get_or_create(name=name[:100], defaults={"team_id": channel.team_id, "kind": "chat"})
    return queue


def enqueue_conversation(
    conversation: Conversation, *, now: datetime, first_message: str = "", reason: str = "", priority: int = 0
) -> QueueEntry:
    """Put a conversation in line (source rules first, else the channel's default queue).

    ``reason`` (e.g. the bot's handoff reason) is kept on the entry and shown to the agent who takes
    it. The conversation moves to the queue's team, so exactly the agents who may be offered it can
    see it. The caller dispatches after commit (``dispatch_after_commit``)."""
    # The stored tags, not the loaded customer's: a widget session holds its customer from the hello,
    # and a tag added since (an agent marks the visitor "vip") must route this conversation already.
    tags = Customer.objects.filter(pk=conversation.customer_id).values_list("tags", flat=True).first() or []
    source = {
        "channel_id": conversation.channel_id,
        "page_url": conversation.source_url,
        "first_message": first_message[:2000],
        "customer_tags": [str(t) for t in tags if isinstance(t, str)][:50],
    }
    common: dict[str, Any] = {
        "kind": "chat",
        "item_id": conversation.pk,
        "now": now,
        "priority": priority,
        "language": conversation.language,
        "source": source,
        "customer_id": conversation.customer_id,
        "note": reason[:2000],
    }
    try:
        entry = routing.enqueue(queue=None, **common)
    except routing_errors.NoQueue:
        entry = routing.enqueue(queue=default_queue(conversation.channel), **common)
    team_id = Queue.objects.filter(pk=entry.queue_id).values_list("team_id", flat=True).first()
    if team_id is not None and team_id != conversation.team_id:
        Conversation.objects.filter(pk=conversation.pk).update(team_id=team_id)
        conversation.team_id = team_id
    return entry


def dispatch_after_commit(queue_ids: Collection[int] | None) -> None:
    """Offer waiting work once the current transaction commits (new entry, decline, finished work, agent back).

    A failure is logged, never raised: the periodic sweep tries again within a second or two."""
    queue_list = None if queue_ids is None else sorted(set(queue_ids))

    def run() -> None:
        try:
            routing.dispatch(now=timezone.now(), queue_ids=queue_list)
        except Exception:
            logger.exception("dispatch after commit failed; the periodic sweep will retry")

    transaction.on_commit(run)


def live_entry(conversation_id: int) -> QueueEntry | None:
    return QueueEntry.objects.filter(kind="chat", item_id=conversation_id, status__in=QueueEntry.LIVE).first()


def entry_in_hand(conversation_id: int) -> QueueEntry | None:
    return (
        QueueEntry.objects.filter(kind="chat", item_id=conversation_id, status=QueueEntry.Status.ASSIGNED, finished_at__isnull=True)
        .order_by("-id")
        .first()
    )


def assign_from_routing(*, conversation_id: int, agent_id: int, now: datetime, via: str, note: str = "") -> bool:
    """Routing gave the conversation to an agent (offer accepted, auto-assign, take, transfer, supervisor).

    Runs inside the routing transaction. False when the conversation is already over (the caller
    then finishes the entry, so that nobody's load counts a chat that cannot be served)."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("channel", "customer", "assignee")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        logger.warning("routing assigned chat %s, which does not exist", conversation_id)
        return False
    if conversation.status in (Conversation.Status.RESOLVED, Conversation.Status.CLOSED):
        return False
    agent = AgentProfile.objects.get(pk=agent_id)
    previous = conversation.assignee
    if previous is not None and previous.pk == agent.pk and conversation.status == Conversation.Status.OPEN:
        return True
    if previous is not None and previous.pk != agent.pk and via not in ("transfer", "supervisor"):
        # Someone has it already (a take raced a take, or an offer was accepted meanwhile).
        if via == "take":
            raise Conflict(_("Someone else took this conversation first."), reason="already_taken")
        return False
    Conversation.objects.filter(pk=conversation.pk).update(assignee=agent, status=Conversation.Status.OPEN, assigned_at=now)
    conversation.assignee, conversation.status, conversation.assigned_at = agent, Conversation.Status.OPEN, now
    if previous is not None and previous.pk != agent.pk:
        _system_message(
            conversation,
            event="transferred",
            text=f"{previous.display_name} transferred the conversation to {agent.display_name}",
            now=now,
            agent_name=agent.display_name,
            from_agent_name=previous.display_name,
        )
        publish_on_commit(
            events.agent_group(previous.pk),
            {"type": events.CONVERSATION_CHANGED, "conversation": events.conversation_summary(conversation)},
        )
    else:
        _system_message(
            conversation, event="agent_joined", text=f"{agent.display_name} joined the conversation", now=now, agent_name=agent.display_name
        )
    if note.strip():
        _append(
            conversation,
            sender=Sender.system(),
            body=note.strip(),
            client_id=None,
            internal=True,
            now=now,
            meta={"event": "routing_note", "via": via},
        )
    _publish_summary(conversation, to_team=True)
    return True


def open_visitor_conversation(
    *,
    channel: Channel,
    customer: Customer,
    language: str,
    source_url: str = "",
    prechat: dict[str, str] | None = None,
    first_message: str = "",
) -> tuple[Conversation, bool]:
    """The visitor's current (not closed) conversation on this channel, or a new one; True if new.

    ``first_message`` is the message that opens a new one, if a message does (routing reads it).
    Two tabs, or a tab and an upload, may ask at once: the customer row lock makes them share one."""
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk", flat=True).first()
        existing = latest_visitor_conversation(customer_id=customer.pk, channel_id=channel.pk)
        if existing is not None:
            return existing, False
        conversation = start_conversation(
            channel=channel, customer=customer, language=language, source_url=source_url, prechat=prechat, first_message=first_message
        )
        return conversation, True


def _validate_body(body: Any, *, has_attachments: bool) -> str:
    if not isinstance(body, str):
        raise InvalidInput(_("The message body must be text."))
    text: str = body.strip()
    if len(text) > settings.CC_MAX_MESSAGE_CHARS:
        raise InvalidInput(
            _("The message is too long (at most %(max)d characters).") % {"max": settings.CC_MAX_MESSAGE_CHARS},
            max_chars=settings.CC_MAX_MESSAGE_CHARS,
        )
    if not text and not has_attachments:
        raise InvalidInput(_("The message is empty."))
    return text


def validate_client_id(client_id: Any) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
        raise InvalidInput(_("client_id must be 1-64 letters, digits or - _ . :"))
    return client_id


def post_message(
    *,
    conversation_id: int,
    sender: Sender,
    body: str,
    client_id: str | None,
    now: datetime,
    internal: bool = False,
    attachment_ids: Sequence[int] = (),
    meta: dict[str, Any] | None = None,
) -> PostResult:
    """Store a message with the next seq. A retried ``client_id`` returns the stored one."""
    body = _validate_body(body, has_attachments=bool(attachment_ids))
    if client_id is not None:
        validate_client_id(client_id)
    if internal and sender.kind != Message.SenderKind.AGENT:
        raise Forbidden(_("Only agents write internal notes."))
    with transaction.atomic():
        conversation = _lock(conversation_id)
        if sender.kind == Message.SenderKind.VISITOR and conversation.customer_id != sender.customer_id:
            raise NotFound(_("No such conversation."))
        if sender.kind == Message.SenderKind.AGENT:
            # Before the client_id lookup: an agent without access must not learn which ids exist.
            _authorize_agent_post(conversation, sender=sender, internal=internal)
        if client_id is not None and not attachment_ids and conversation.status != Conversation.Status.CLOSED:
            # The common case: insert at once and let the unique (conversation, client_id)
            # constraint catch a retry. The lookup it replaces was a fifth of the server's CPU
            # per message (`contactcenter bench chat`, docs/benchmarks.md); a savepoint is cheap.
            try:
                with transaction.atomic():
                    message, payload = _append(
                        conversation, sender=sender, body=body, client_id=client_id, internal=internal, now=now, meta=meta
                    )
            except IntegrityError:
                existing = _sent_before(conversation, client_id=client_id, sender=sender)
                if existing is None:
                    raise
                return existing
        else:
            # Retries are answered before the closed check and before attachments are claimed
            # (a retried message's attachments are already its own).
            if client_id is not None and (existing := _sent_before(conversation, client_id=client_id, sender=sender)):
                return existing
            if conversation.status == Conversation.Status.CLOSED:
                raise Conflict(_("This conversation is closed; start a new one."), reason="conversation_closed")
            attachments = _claim_attachments(conversation=conversation, sender=sender, attachment_ids=attachment_ids)
            message, payload = _append(
                conversation, sender=sender, body=body, client_id=client_id, internal=internal, now=now, meta=meta, attachments=attachments
            )
        reopened = sender.kind == Message.SenderKind.VISITOR and conversation.status == Conversation.Status.RESOLVED
        if reopened:
            _reopen(conversation)
        # The visitor's view changes with the status, not with each message (the message frame
        # carries its seq): one event per message to the conversation group, not two.
        _publish_summary(
            conversation,
            last_body=None if internal else body,
            to_team=conversation.assignee_id is None,
            to_visitor=reopened,
            public_seq=message.seq,
        )
    needs_bot = sender.kind == Message.SenderKind.VISITOR and conversation.status == Conversation.Status.BOT and bool(body)
    return PostResult(message=message, created=True, payload=payload, needs_bot=needs_bot)


def _sent_before(conversation: Conversation, *, client_id: str, sender: Sender) -> PostResult | None:
    """The stored message a retried ``client_id`` refers to, or None; someone else's is a Conflict."""
    existing = _messages_with_sender().filter(conversation=conversation, client_id=client_id).first()
    if existing is None:
        return None
    if not _same_sender(existing, sender):
        raise Conflict(_("This client_id was already used by someone else."), reason="client_id_in_use")
    return PostResult(message=existing, created=False, payload=events.message_payload(existing))


def _authorize_agent_post(conversation: Conversation, *, sender: Sender, internal: bool) -> None:
    agent = sender.agent
    if agent is None or not agent_can_see(agent=agent, conversation=conversation):
        raise NotFound(_("No such conversation."))
    if not internal and conversation.assignee_id != agent.pk and not agent.is_supervisor:
        raise Forbidden(_("Take the conversation before replying to the visitor."), reason="take_first")


def agent_post_message(
    *,
    agent: AgentProfile,
    conversation_id: int,
    body: str,
    client_id: str | None,
    now: datetime,
    internal: bool = False,
    attachment_ids: Sequence[int] = (),
) -> PostResult:
    return post_message(
        conversation_id=conversation_id,
        sender=Sender.for_agent(agent),
        body=body,
        client_id=client_id,
        now=now,
        internal=internal,
        attachment_ids=attachment_ids,
    )


def agent_mark_read(*, agent: AgentProfile, conversation_id: int, seq: int) -> int:
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None or not agent_can_see(agent=agent, conversation=conversation):
        raise NotFound(_("No such conversation."))
    return mark_read(conversation_id=conversation_id, reader=Sender.for_agent(agent), seq=seq)


def _messages_with_sender() -> Any:
    return Message.objects.select_related("sender_agent").prefetch_related("attachments")


def _same_sender(message: Message, sender: Sender) -> bool:
    if message.sender_kind != sender.kind:
        return False
    if sender.kind == Message.SenderKind.AGENT:
        return sender.agent is not None and message.sender_agent_id == sender.agent.pk
    return True


def _append(
    conversation: Conversation,
    *,
    sender: Sender,
    body: str,
    client_id: str | None,
    internal: bool,
    now: datetime,
    meta: dict[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
) -> tuple[Message, dict[str, Any]]:
    """Insert the next message; the caller holds the conversation row lock."""
    seq = conversation.last_seq + 1
    message = Message.objects.create(
        conversation=conversation,
        seq=seq,
        client_id=client_id,
        sender_kind=sender.kind,
        sender_agent=sender.agent,
        body=body,
        meta=meta or {},
        internal=internal,
    )
    # The row is locked (SQLite: the IMMEDIATE transaction holds the write lock), so the loaded
    # counters are current: plain values keep the instance right without a re-read.
    conversation.last_seq, conversation.last_message_at = seq, now
    fields = ["last_seq", "last_message_at"]
    if sender.kind == Message.SenderKind.VISITOR:
        conversation.unread_for_agent += 1
        conversation.visitor_last_read_seq = seq
        fields += ["unread_for_agent", "visitor_last_read_seq"]
    elif sender.kind == Message.SenderKind.AGENT and not internal:
        # A note leaves the read state alone: the visitor sees agent_last_read_seq.
        conversation.agent_last_read_seq = seq
        conversation.unread_for_agent = 0
        fields += ["agent_last_read_seq", "unread_for_agent"]
    Conversation.objects.filter(pk=conversation.pk).update(**{f: getattr(conversation, f) for f in fields})
    if attachments:
        Attachment.objects.filter(pk__in=[a.pk for a in attachments]).update(message=message)
    payload = events.message_payload(message, attachments=list(attachments))
    group = events.conversation_group(conversation.pk, internal=internal)
    publish_on_commit(group, {"type": events.MESSAGE_POSTED, "message": payload})
    return message, payload


def _claim_attachments(*, conversation: Conversation, sender: Sender, attachment_ids: Sequence[int]) -> list[Attachment]:
    if not attachment_ids:
        return []
    if len(attachment_ids) > 10 or not all(isinstance(i, int) for i in attachment_ids):
        raise InvalidInput(_("Attach at most 10 files, by their ids."))
    qs = Attachment.objects.filter(pk__in=attachment_ids, conversation=conversation, message__isnull=True, uploaded_by_kind=sender.kind)
    if sender.kind == Message.SenderKind.AGENT:
        qs = qs.filter(uploaded_by_agent=sender.agent)
    found = list(qs.order_by("pk"))
    if len(found) != len(set(attachment_ids)):
        # One answer for "not yours", "no such id" and "already sent": ids cannot be probed.
        raise NotFound(_("Unknown or already sent attachment."))
    return found


def _reopen(conversation: Conversation) -> None:
    """A visitor wrote after the resolve: back to the same agent, or into the line when there is none.

    Known gap: a conversation reopened with its agent does not count in that agent's routing load."""
    status = Conversation.Status.OPEN if conversation.assignee_id else Conversation.Status.QUEUED
    Conversation.objects.filter(pk=conversation.pk).update(status=status, resolved_at=None)
    conversation.status = status
    if status == Conversation.Status.QUEUED:
        entry = enqueue_conversation(conversation, now=timezone.now())
        dispatch_after_commit([entry.queue_id])


def _publish_summary(
    conversation: Conversation,
    *,
    last_body: str | None = None,
    to_team: bool = False,
    to_visitor: bool = True,
    public_seq: int | None = None,
) -> None:
    """Tell the consoles that list this conversation (only the assignee once it is assigned) and,
    unless ``to_visitor`` is False, the visitor. ``public_seq`` is the last seq the visitor can see;
    it defaults to ``last_seq``, right only when the last message is public."""
    event = {"type": events.CONVERSATION_CHANGED, "conversation": events.conversation_summary(conversation, last_body=last_body)}
    if conversation.assignee_id is not None:
        publish_on_commit(events.agent_group(conversation.assignee_id), event)
    if to_team and conversation.team_id is not None:
        publish_on_commit(events.team_group(conversation.team_id), event)
    if to_visitor:
        view = events.visitor_conversation_view(conversation, last_public_seq=conversation.last_seq if public_seq is None else public_seq)
        publish_on_commit(events.conversation_group(conversation.pk), {"type": events.CONVERSATION_CHANGED, "visitor_view": view})


def publish_summary(conversation: Conversation, *, to_team: bool = False) -> None:
    """Tell the consoles (and the visitor) that a conversation changed; needs channel, customer and assignee loaded."""
    _publish_summary(conversation, to_team=to_team)


def lock_conversation(conversation_id: int) -> Conversation:
    """The conversation row, locked for the rest of the caller's transaction (channel and customer loaded)."""
    return _lock(conversation_id)


def append_locked(
    conversation: Conversation, *, sender: Sender, body: str, now: datetime, meta: dict[str, Any] | None = None
) -> tuple[Message, dict[str, Any]]:
    """A message from the bot (or the system) in a conversation the caller has locked."""
    return _append(conversation, sender=sender, body=body, client_id=None, internal=False, now=now, meta=meta)


def system_message_locked(conversation: Conversation, *, event: str, text: str, now: datetime, **data: Any) -> Message:
    return _system_message(conversation, event=event, text=text, now=now, **data)


def post_system_message(*, conversation_id: int, event: str, text: str, now: datetime, **data: Any) -> Message:
    """A line from the system in the transcript (e.g. "nobody is free, leave a message")."""
    with transaction.atomic():
        conversation = _lock(conversation_id)
        return _system_message(conversation, event=event, text=text, now=now, **data)


def _system_message(conversation: Conversation, *, event: str, text: str, now: datetime, **data: Any) -> Message:
    message, _payload = _append(
        conversation, sender=Sender.system(), body=text, client_id=None, internal=False, now=now, meta={"event": event, **data}
    )
    return message


def _lock(conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("channel", "customer", "assignee")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise NotFound(_("No such conversation."))
    return conversation


def take_conversation(*, conversation_id: int, agent: AgentProfile, now: datetime) -> Conversation:
    """抢单: an agent takes an unassigned conversation through routing; the first take wins, across processes."""
    conversation = Conversation.objects.select_related("channel", "customer", "assignee").filter(pk=conversation_id).first()
    if conversation is None or not agent_can_see(agent=agent, conversation=conversation):
        raise NotFound(_("No such conversation."))
    if conversation.assignee_id == agent.pk and conversation.status == Conversation.Status.OPEN:
        return conversation  # a retried take
    if conversation.status in (Conversation.Status.RESOLVED, Conversation.Status.CLOSED):
        raise Conflict(_("This conversation is already over."), reason="conversation_closed")
    if conversation.assignee_id is not None:
        raise Conflict(_("Someone else took this conversation first."), reason="already_taken")
    with transaction.atomic():
        entry = live_entry(conversation.pk)
        if entry is None:  # e.g. still with the bot: it joins the line and is taken at once
            try:
                entry = enqueue_conversation(conversation, now=now)
            except IntegrityError:  # another take queued it and took it meanwhile
                raise Conflict(_("Someone else took this conversation first."), reason="already_taken") from None
        try:
            routing.take_from_pool(entry_id=entry.pk, agent=agent, now=now)
        except routing_errors.AlreadyTaken:
            raise Conflict(_("Someone else took this conversation first."), reason="already_taken") from None
        except routing_errors.AtCapacity:
            raise Conflict(
                _("You already have %(n)d open conversations, your limit.") % {"n": agent.max_concurrent_chats}, reason="at_capacity"
            ) from None
        conversation = _lock(conversation_id)
        if conversation.assignee_id != agent.pk:  # the conversation ended while we took it
            raise Conflict(_("This conversation is already over."), reason="conversation_closed")
    return conversation


def transfer_conversation(
    *,
    conversation_id: int,
    by: AgentProfile,
    now: datetime,
    to_agent_id: int | None = None,
    to_queue_id: int | None = None,
    to_supervisor: bool = False,
    note: str = "",
) -> Conversation:
    """Hand a conversation to another agent, back to a (team) queue, or to a supervisor, with a note
    the next agent sees as an internal note. The visitor is told."""
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None or not agent_can_see(agent=by, conversation=conversation):
        raise NotFound(_("No such conversation."))
    if not isinstance(note, str) or len(note) > 2000:
        raise InvalidInput(_("The note must be text of at most 2000 characters."), field="note")
    to_agent = None
    if to_agent_id is not None:
        to_agent = AgentProfile.objects.filter(pk=to_agent_id, user__is_active=True).first()
        if to_agent is None:
            raise NotFound(_("No such agent."), field="to_agent_id")
    to_queue = None
    if to_queue_id is not None:
        to_queue = Queue.objects.filter(pk=to_queue_id, kind="chat", is_active=True).first()
        if to_queue is None:
            raise NotFound(_("No such chat queue."), field="to_queue_id")
    with transaction.atomic():
        entry = entry_in_hand(conversation_id)
        if entry is None:
            raise Conflict(_("Only a conversation in someone's hands can be transferred."), reason="not_assigned")
        moved = routing.transfer(
            entry_id=entry.pk, by=by, now=now, to_agent=to_agent, to_queue=to_queue, to_supervisor=to_supervisor, note=note.strip()
        )
        if to_queue is not None:
            conversation = _lock(conversation_id)
            previous = conversation.assignee
            fields: dict[str, Any] = {"assignee": None, "status": Conversation.Status.QUEUED, "assigned_at": None}
            if to_queue.team_id is not None:
                fields["team_id"] = to_queue.team_id
            Conversation.objects.filter(pk=conversation.pk).update(**fields)
            conversation.assignee, conversation.status, conversation.assigned_at = None, Conversation.Status.QUEUED, None
            if to_queue.team_id is not None:
                conversation.team_id = to_queue.team_id
            # The note travels on the new entry: in the offer, then as an internal note once someone
            # has the conversation (assign_from_routing), once.
            _system_message(
                conversation, event="transferred_to_queue", text="You are being transferred; the next free agent will answer.", now=now
            )
            if previous is not None:
                publish_on_commit(
                    events.agent_group(previous.pk),
                    {"type": events.CONVERSATION_CHANGED, "conversation": events.conversation_summary(conversation)},
                )
            _publish_summary(conversation, to_team=True)
            dispatch_after_commit([moved.queue_id])
        else:
            # The previous agent's load dropped: the most urgent work of any queue they serve may be theirs now.
            freed = [entry.assigned_agent_id] if entry.assigned_agent_id is not None else []
            dispatch_after_commit({entry.queue_id, *queue_ids_served_by(agent_ids=freed, kind="chat")})
    return Conversation.objects.select_related("channel", "customer", "assignee").get(pk=conversation_id)


def resolve_conversation(*, conversation_id: int, agent: AgentProfile, now: datetime) -> Conversation:
    """The agent (or a supervisor) ends the conversation: the agent's load drops, wrap-up starts, the queue moves on."""
    with transaction.atomic():
        _release_routing(conversation_id, now=now)
        conversation = _lock(conversation_id)
        if not agent_can_see(agent=agent, conversation=conversation):
            raise NotFound(_("No such conversation."))
        if conversation.assignee_id not in (None, agent.pk) and not agent.is_supervisor:
            raise Forbidden(_("Only the assigned agent or a supervisor can resolve this conversation."))
        if conversation.status in (Conversation.Status.RESOLVED, Conversation.Status.CLOSED):
            return conversation
        Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.RESOLVED, resolved_at=now)
        conversation.status, conversation.resolved_at = Conversation.Status.RESOLVED, now
        _system_message(conversation, event="resolved", text="The conversation was resolved", now=now, agent_name=agent.display_name)
        _publish_summary(conversation, to_team=True)
    return conversation


def release_routing(conversation_id: int, *, now: datetime) -> None:
    """End the conversation's routing work (see _release_routing); call before locking the conversation."""
    _release_routing(conversation_id, now=now)


def _release_routing(conversation_id: int, *, now: datetime) -> None:
    """Routing rows first (lock order): finish the work in hand, or withdraw a waiting entry; then dispatch
    every queue the freed agents serve (the assignee, or whoever held an offer of the withdrawn entry)."""
    waiting = live_entry(conversation_id)
    freed = list(waiting.offers.filter(status=Offer.Status.PENDING).values_list("agent_id", flat=True)) if waiting else []
    finished = routing.finish(kind="chat", item_id=conversation_id, now=now)
    cancelled = routing.cancel_entry(kind="chat", item_id=conversation_id, now=now, abandoned=False)
    if finished is not None and finished.assigned_agent_id is not None:
        freed.append(finished.assigned_agent_id)
    queue_ids = {e.queue_id for e in (finished, cancelled) if e is not None}
    if queue_ids:
        dispatch_after_commit(queue_ids | set(queue_ids_served_by(agent_ids=freed, kind="chat")))


def visitor_left(*, conversation_id: int, now: datetime) -> bool:
    """A queued visitor is gone (closed the page and did not come back within the grace): their place in
    line is given up and counted as abandoned, and the conversation is closed. True if it was."""
    with transaction.atomic():
        entry = routing.cancel_entry(kind="chat", item_id=conversation_id, now=now, abandoned=True)
        conversation = _lock(conversation_id)
        if conversation.status not in (Conversation.Status.QUEUED, Conversation.Status.BOT):
            return entry is not None
        Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.CLOSED, closed_at=now)
        conversation.status, conversation.closed_at = Conversation.Status.CLOSED, now
        _system_message(conversation, event="visitor_left", text="The visitor left before an agent answered", now=now)
        _publish_summary(conversation, to_team=True)
    return True


def touch_visitor(*, conversation_id: int, now: datetime, last_seen: datetime | None) -> datetime:
    """Record that the visitor's widget is there (hello, heartbeat); written at most every 20 s."""
    if last_seen is not None and now - last_seen < timedelta(seconds=20):
        return last_seen
    Conversation.objects.filter(pk=conversation_id).update(visitor_last_seen_at=now)
    return now


def mark_read(*, conversation_id: int, reader: Sender, seq: int) -> int:
    """Move the reader's read mark forward (never back); returns the stored mark."""
    if not isinstance(seq, int) or seq < 0:
        raise InvalidInput(_("seq must be a non-negative integer."))
    with transaction.atomic():
        conversation = _lock(conversation_id)
        seq = min(seq, conversation.last_seq)
        if reader.kind == Message.SenderKind.VISITOR:
            if conversation.customer_id != reader.customer_id:
                raise NotFound(_("No such conversation."))
            if seq <= conversation.visitor_last_read_seq:
                return conversation.visitor_last_read_seq
            Conversation.objects.filter(pk=conversation.pk).update(visitor_last_read_seq=seq)
        else:
            if seq <= conversation.agent_last_read_seq:
                return conversation.agent_last_read_seq
            unread = Message.objects.filter(conversation=conversation, seq__gt=seq, sender_kind=Message.SenderKind.VISITOR).count()
            Conversation.objects.filter(pk=conversation.pk).update(agent_last_read_seq=seq, unread_for_agent=unread)
            conversation.agent_last_read_seq, conversation.unread_for_agent = seq, unread
            _publish_summary(conversation, to_visitor=False)
        publish_on_commit(
            events.conversation_group(conversation.pk),
            {"type": events.READ, "by": reader.kind, "conversation_id": conversation.pk, "seq": seq},
        )
    return seq


def store_attachment(*, conversation_id: int, sender: Sender, upload: UploadedFile) -> Attachment:
    """Keep an uploaded file for a later message; type checked by content, size by settings."""
    import filetype

    size = upload.size or 0
    if size > settings.CC_ATTACHMENT_MAX_BYTES:
        raise InvalidInput(
            _("The file is too large (at most %(mb)d MB).") % {"mb": settings.CC_ATTACHMENT_MAX_BYTES // (1024 * 1024)},
            max_bytes=settings.CC_ATTACHMENT_MAX_BYTES,
        )
    if size == 0:
        raise InvalidInput(_("The file is empty."))
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None:
        content_type = kind.mime
    elif _looks_like_text(head):
        content_type = "text/plain"
    else:
        content_type = "application/octet-stream"
    if content_type not in ALLOWED_ATTACHMENT_TYPES:
        raise InvalidInput(_("This type of file is not accepted."), content_type=content_type)
    filename = _safe_filename(upload.name or "file")
    with transaction.atomic():
        conversation = Conversation.objects.filter(pk=conversation_id).first()
        if conversation is None or (sender.kind == Message.SenderKind.VISITOR and conversation.customer_id != sender.customer_id):
            raise NotFound(_("No such conversation."))
        return Attachment.objects.create(
            conversation=conversation,
            file=upload,
            filename=filename,
            content_type=content_type,
            size=size,
            uploaded_by_kind=sender.kind,
            uploaded_by_agent=sender.agent,
        )


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    # Markup is refused as text: a browser could be talked into rendering it.
    return b"\x00" not in head and not head.lstrip().startswith(b"<")


def _safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[:200] or "file"
