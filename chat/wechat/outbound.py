"""Replies out: agents' and the bot's messages in a WeChat conversation are copied from the transcript
into the outbox, and the outbox is sent through the customer-service message API (chat.wechat.client).

Nothing here runs in the agent's send: chat stores the message as for any chat, and the ticker (every
second, and right after a WeChat message was processed) moves the conversation's new messages to
:class:`OutboundMessage` rows by seq — seqs commit in order within a conversation, so a cursor per
conversation loses nothing. Rows are claimed with ``SKIP LOCKED`` and a lease, retried with growing
pauses, and a refusal because the 48-hour window has closed (errcode 45015) is told to the agent as a
system line in the conversation. A node that dies between sending and marking can send a row twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext as _

from chat import services
from chat.models import Message
from chat.wechat.client import WINDOW_ERRORS, WeChatApi, WeChatError, WeChatUnavailable
from chat.wechat.models import OutboundMessage, WeChatAccount, WeChatConversation

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=10)
LONGEST_RETRY = timedelta(minutes=30)
SEND_LEASE = timedelta(minutes=2)
BATCH = 50
#: WeChat takes at most 2048 bytes of text per message; longer replies go in parts.
MAX_TEXT_BYTES = 2000
#: System lines the WeChat user is told (the rest are for the console).
TOLD_EVENTS = frozenset({"bot_handoff", "agent_joined", "transferred_to_queue"})


def retry_delay(attempts: int) -> timedelta:
    delay: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, LONGEST_RETRY)


def split_text(text: str, *, max_bytes: int = MAX_TEXT_BYTES) -> list[str]:
    parts: list[str] = []
    current = ""
    for ch in text:
        if len((current + ch).encode()) > max_bytes:
            parts.append(current)
            current = ""
        current += ch
    if current or not parts:
        parts.append(current)
    return parts


def enqueue_text(*, account: WeChatAccount, openid: str, text: str, now: datetime) -> None:
    """A message that is not in a transcript (the greeting on subscribe)."""
    for part in split_text(text):
        OutboundMessage.objects.create(account=account, openid=openid, text=part, next_attempt_at=now, created_at=now)


# -- transcript → outbox ---------------------------------------------------------------------------


def wechat_text(message: Message) -> str:
    """What the WeChat user reads for a transcript message ("" for none)."""
    meta = message.meta or {}
    if message.sender_kind == Message.SenderKind.SYSTEM:
        event = meta.get("event")
        if event == "agent_joined":
            return _("%(name)s is answering you.") % {"name": meta.get("agent_name", "")}
        if event == "transferred_to_queue":
            return _("You are being transferred; the next free agent will answer.")
        return message.body if event in TOLD_EVENTS else ""
    text = message.body
    suggestions = meta.get("suggestions") if message.sender_kind == Message.SenderKind.BOT else None
    if isinstance(suggestions, list) and suggestions:
        # No buttons in customer-service text: the user answers with the question itself.
        lines = [f"{i}. {s.get('question', '')}" for i, s in enumerate(suggestions, 1) if isinstance(s, dict)]
        text = "\n".join([text, *lines])
    return text


def _outgoing(message: Message) -> bool:
    if message.internal:
        return False
    if message.sender_kind in (Message.SenderKind.AGENT, Message.SenderKind.BOT):
        return True
    return message.sender_kind == Message.SenderKind.SYSTEM and (message.meta or {}).get("event") in TOLD_EVENTS


def forward(now: datetime, *, conversation_ids: Sequence[int] | None = None, limit: int = BATCH) -> int:
    """Copy new outgoing transcript messages of WeChat conversations into the outbox; how many rows were made."""
    pending = WeChatConversation.objects.filter(conversation__last_seq__gt=F("forwarded_seq"))
    if conversation_ids is not None:
        pending = pending.filter(conversation_id__in=conversation_ids)
    made = 0
    for link_id in list(pending.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            link = WeChatConversation.objects.select_for_update(skip_locked=True).select_related("account").filter(pk=link_id).first()
            if link is None:
                continue  # another node is at it
            messages = list(
                Message.objects.filter(conversation_id=link.conversation_id, seq__gt=link.forwarded_seq)
                .prefetch_related("attachments")
                .order_by("seq")[:200]
            )
            if not messages:
                continue
            with translation.override(link.account.language):
                for message in messages:
                    if _outgoing(message):
                        made += _enqueue_message(link, message, now=now)
            WeChatConversation.objects.filter(pk=link.pk).update(forwarded_seq=messages[-1].seq)
    return made


def _enqueue_message(link: WeChatConversation, message: Message, *, now: datetime) -> int:
    rows = []
    text = wechat_text(message).strip()
    if text:
        # Parts of a long text share the message: the first is the row the unique constraint guards.
        for index, part in enumerate(split_text(text)):
            rows.append(OutboundMessage(text=part, message=message if index == 0 else None))
    for attachment in message.attachments.all():
        if attachment.is_image:
            rows.append(OutboundMessage(kind=OutboundMessage.Kind.IMAGE, attachment=attachment, message=message))
        else:
            rows.append(OutboundMessage(text=_("[File] %(name)s") % {"name": attachment.filename}))
    made = 0
    for row in rows:
        row.account, row.openid, row.conversation_id = link.account, link.openid, link.conversation_id
        row.next_attempt_at, row.created_at = now, now
        try:
            with transaction.atomic():
                row.save()
            made += 1
        except IntegrityError:
            pass  # queued before (the cursor was not saved last time)
    return made


# -- outbox → WeChat -------------------------------------------------------------------------------


def send_due(now: datetime, *, conversation_ids: Sequence[int] | None = None, limit: int = BATCH) -> int:
    """Send the rows that are due, oldest first per user; how many went out."""
    with transaction.atomic():
        due_qs = OutboundMessage.objects.select_for_update(skip_locked=True).filter(
            status=OutboundMessage.Status.PENDING, next_attempt_at__lte=now
        )
        if conversation_ids is not None:
            due_qs = due_qs.filter(conversation_id__in=conversation_ids)
        due = list(due_qs.order_by("id").values_list("pk", flat=True)[:limit])
        if not due:
            return 0
        OutboundMessage.objects.filter(pk__in=due).update(next_attempt_at=now + SEND_LEASE, attempts=F("attempts") + 1)
    sent = 0
    apis: dict[int, WeChatApi] = {}
    for row in OutboundMessage.objects.filter(pk__in=due).select_related("account", "attachment").order_by("id"):
        api = apis.setdefault(row.account_id, WeChatApi(row.account))
        try:
            _send(api, row)
        except WeChatError as error:
            _failed(row, error, errcode=error.errcode, now=now)
            continue
        except (WeChatUnavailable, OSError) as error:
            _failed(row, error, errcode=None, now=now)
            continue
        OutboundMessage.objects.filter(pk=row.pk).update(status=OutboundMessage.Status.SENT, sent_at=now, last_error="")
        sent += 1
    return sent


def _send(api: WeChatApi, row: OutboundMessage) -> None:
    if row.kind == OutboundMessage.Kind.IMAGE and row.attachment is not None:
        with row.attachment.file.open("rb") as handle:
            data = handle.read()
        media_id = api.upload_image(data=data, filename=row.attachment.filename, content_type=row.attachment.content_type)
        api.send_image(openid=row.openid, media_id=media_id)
    else:
        api.send_text(openid=row.openid, text=row.text)


def _failed(row: OutboundMessage, error: Exception, *, errcode: int | None, now: datetime) -> None:
    """Retry later, or (window closed, too many attempts) stop and tell the agent in the conversation."""
    with translation.override(row.account.language):
        _record_failure(row, error, errcode=errcode, now=now)


def _record_failure(row: OutboundMessage, error: Exception, *, errcode: int | None, now: datetime) -> None:
    text = f"{type(error).__name__}: {error}"[:1000]
    logger.warning("WeChat message %s to %s failed (attempt %s): %s", row.pk, row.openid, row.attempts, text)
    if errcode in WINDOW_ERRORS:
        OutboundMessage.objects.filter(pk=row.pk).update(status=OutboundMessage.Status.REFUSED, errcode=errcode, last_error=text)
        _tell_agent(
            row,
            event="wechat_window_closed",
            text=_(
                "WeChat did not deliver this reply: the customer has not written for 48 hours, and the Official Account "
                "may only answer within 48 hours of the customer's last message. They will get replies again once they write."
            ),
            now=now,
        )
    elif row.attempts >= MAX_ATTEMPTS:
        OutboundMessage.objects.filter(pk=row.pk).update(status=OutboundMessage.Status.FAILED, errcode=errcode, last_error=text)
        _tell_agent(
            row,
            event="wechat_send_failed",
            text=_("This reply could not be sent to WeChat after %(n)d attempts: %(error)s") % {"n": row.attempts, "error": text},
            now=now,
        )
    else:
        OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=now + retry_delay(row.attempts), errcode=errcode, last_error=text)


def _tell_agent(row: OutboundMessage, *, event: str, text: str, now: datetime) -> None:
    if row.conversation_id is None:
        return
    try:
        services.post_system_message(conversation_id=row.conversation_id, event=event, text=text, now=now, outbound_id=row.pk)
    except Exception:  # a deleted conversation takes no line; the outbox row says it all
        logger.exception("could not tell conversation %s that WeChat refused a reply", row.conversation_id)


def forward_and_send(now: datetime, *, conversation_ids: Sequence[int] | None = None) -> int:
    """The periodic job ``chat_wechat.outbound`` (and the step after a WeChat message was processed)."""
    forward(now, conversation_ids=conversation_ids)
    return send_due(now, conversation_ids=conversation_ids)
