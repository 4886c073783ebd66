"""Callbacks in: check the signature and the time, decrypt (safe mode), parse, store once; then, after
WeChat has its "success", turn the message into a visitor message of a chat conversation.

WeChat waits 5 s for an answer and retries three times: the request only stores an
:class:`InboundMessage` (unique per MsgId, or per sender and time for events) and the chat work runs
after the answer, in a thread of the serving process, with the periodic job
``chat_wechat.inbound`` as the net for rows a node did not finish.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chat import bot_bridge, services
from chat.models import Conversation
from chat.wechat import crypto, outbound, xmlmsg
from chat.wechat.models import InboundMessage, WeChatAccount, WeChatConversation
from contactcenter.core.customers.models import Customer, CustomerIdentity
from contactcenter.core.errors import Conflict

logger = logging.getLogger(__name__)

#: Rows still pending this long after they arrived were not finished by their node: the sweep takes them.
SWEEP_GRACE = timedelta(seconds=30)
MAX_ATTEMPTS = 5


class CallbackRefused(Exception):
    """The callback is not from WeChat for this account (or not in a form we take); ``status`` is the HTTP status."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def max_skew_s() -> int:
    return int(getattr(settings, "CC_WECHAT_MAX_SKEW_S", 300))


def _check_signature(account: WeChatAccount, params: Mapping[str, str], *, now: datetime) -> None:
    timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
    given = params.get("signature", "")
    if not (timestamp and nonce and given) or not crypto.signature_matches(crypto.signature(account.token, timestamp, nonce), given):
        raise CallbackRefused(403, "bad signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise CallbackRefused(403, "bad timestamp") from None
    # A signed request is valid forever by WeChat's rules: an old one is a replay.
    if abs(now.timestamp() - sent_at) > max_skew_s():
        raise CallbackRefused(403, "timestamp too old or in the future")


def verify_url(account: WeChatAccount, params: Mapping[str, str], *, now: datetime) -> str:
    """The GET WeChat sends when the server URL is saved: echo ``echostr`` if the signature is right."""
    _check_signature(account, params, now=now)
    return params.get("echostr", "")[:200]


def read_callback(account: WeChatAccount, params: Mapping[str, str], body: bytes, *, now: datetime) -> dict[str, str]:
    """The message's fields, after every check the account's mode asks for (CallbackRefused otherwise)."""
    _check_signature(account, params, now=now)
    try:
        outer = xmlmsg.parse(body)
    except xmlmsg.BadXml as exc:
        raise CallbackRefused(400, f"not a WeChat message: {exc}") from None
    encrypted = params.get("encrypt_type", "").lower() == "aes" or (account.mode == WeChatAccount.Mode.SAFE and "Encrypt" in outer)
    if account.mode == WeChatAccount.Mode.SAFE and not encrypted:
        raise CallbackRefused(403, "this account takes encrypted messages only")
    if not encrypted:
        return outer
    if account.mode == WeChatAccount.Mode.PLAIN:
        raise CallbackRefused(400, "this account is set up for plain messages")
    ciphertext = outer.get("Encrypt", "")
    wanted = crypto.signature(account.token, params.get("timestamp", ""), params.get("nonce", ""), ciphertext)
    if not ciphertext or not crypto.signature_matches(wanted, params.get("msg_signature", "")):
        raise CallbackRefused(403, "bad msg_signature")
    try:
        inner = crypto.decrypt(ciphertext, encoding_aes_key=account.encoding_aes_key, appid=account.appid)
        return xmlmsg.parse(inner)
    except crypto.CryptoError as exc:
        raise CallbackRefused(400, f"cannot decrypt: {exc}") from None
    except xmlmsg.BadXml as exc:
        raise CallbackRefused(400, f"not a WeChat message: {exc}") from None


def dedupe_key(fields: Mapping[str, str]) -> str:
    if fields.get("MsgId"):
        return f"msg:{fields['MsgId']}"
    # Events have no MsgId; WeChat's documentation says to use FromUserName + CreateTime.
    return f"event:{fields.get('FromUserName', '')}:{fields.get('CreateTime', '')}:{fields.get('Event', '')}"[:200]


def store(account: WeChatAccount, fields: Mapping[str, str], *, now: datetime) -> InboundMessage | None:
    """Keep the message for processing; None when it was received before (a retry)."""
    openid = fields.get("FromUserName", "")
    if not openid or not fields.get("MsgType"):
        raise CallbackRefused(400, "no FromUserName or MsgType")
    try:
        with transaction.atomic():
            return InboundMessage.objects.create(
                account=account,
                dedupe_key=dedupe_key(fields),
                openid=openid[:128],
                msg_type=fields["MsgType"][:32],
                fields=dict(fields),
                received_at=now,
            )
    except IntegrityError:
        return None


def receive(account: WeChatAccount, params: Mapping[str, str], body: bytes, *, now: datetime) -> InboundMessage | None:
    """Check, parse and store a callback; the chat work is scheduled for after the commit."""
    fields = read_callback(account, params, body, now=now)
    inbound = store(account, fields, now=now)
    if inbound is not None:
        schedule(inbound.pk)
    return inbound


def schedule(inbound_id: int) -> None:
    if getattr(settings, "CC_WECHAT_IN_BACKGROUND", True):
        transaction.on_commit(lambda: threading.Thread(target=_process_in_thread, args=(inbound_id,), daemon=True).start())
    else:
        transaction.on_commit(lambda: process(inbound_id=inbound_id, now=timezone.now()))


def _process_in_thread(inbound_id: int) -> None:
    try:
        process(inbound_id=inbound_id, now=timezone.now())
    except Exception:
        logger.exception("WeChat message %s failed; the sweep retries it", inbound_id)
    finally:
        close_old_connections()


# -- into the chat ---------------------------------------------------------------------------------


def customer_for_openid(*, appid: str, openid: str) -> Customer:
    """The customer behind an OpenID (per Official Account: OpenIDs differ between accounts), made on first sight."""
    value = f"wechat:{appid}:{openid}"
    kind = CustomerIdentity.Kind.EXTERNAL
    existing = CustomerIdentity.objects.filter(kind=kind, value=value).select_related("customer").first()
    if existing:
        return existing.customer
    try:
        with transaction.atomic():
            customer = Customer.objects.create(name=_("WeChat user %(tail)s") % {"tail": openid[-6:]})
            CustomerIdentity.objects.create(customer=customer, kind=kind, value=value, verified=True)
            return customer
    except IntegrityError:
        return CustomerIdentity.objects.select_related("customer").get(kind=kind, value=value).customer


def readable_text(fields: Mapping[str, str]) -> str:
    """What the agent reads for a message: the text itself, or one line describing what was sent."""
    msg_type = fields.get("MsgType", "")
    if msg_type == "text":
        return fields.get("Content", "")
    if msg_type == "image":
        return _("[Image] %(url)s") % {"url": fields.get("PicUrl", "") or fields.get("MediaId", "")}
    if msg_type == "voice":
        recognition = fields.get("Recognition", "")
        return _("[Voice message] %(text)s") % {"text": recognition} if recognition else _("[Voice message]")
    if msg_type in ("video", "shortvideo"):
        return _("[Video] media %(id)s") % {"id": fields.get("MediaId", "")}
    if msg_type == "location":
        return _("[Location] %(label)s (%(lat)s, %(lng)s)") % {
            "label": fields.get("Label", ""),
            "lat": fields.get("Location_X", ""),
            "lng": fields.get("Location_Y", ""),
        }
    if msg_type == "link":
        return _("[Link] %(title)s — %(url)s") % {"title": fields.get("Title", ""), "url": fields.get("Url", "")}
    if msg_type == "event" and fields.get("Event", "").upper() == "CLICK":
        return _("[Menu] %(key)s") % {"key": fields.get("EventKey", "")}
    return _("[Unsupported WeChat message: %(type)s]") % {"type": msg_type}


def process(*, inbound_id: int, now: datetime) -> None:
    """Do the chat work of one stored callback, once (the row is claimed under a lock)."""
    with transaction.atomic():
        inbound = (
            InboundMessage.objects.select_for_update(skip_locked=True)
            .select_related("account__channel__team")
            .filter(pk=inbound_id, status=InboundMessage.Status.PENDING)
            .first()
        )
        if inbound is None:
            return  # done already, or another node has it
        InboundMessage.objects.filter(pk=inbound.pk).update(attempts=inbound.attempts + 1)
        try:
            with transaction.atomic(), translation.override(inbound.account.language):
                status, conversation_id, needs_bot = _into_chat(inbound, now=now)
        except Exception as exc:
            logger.exception("WeChat message %s could not be processed", inbound.pk)
            gave_up = inbound.attempts + 1 >= MAX_ATTEMPTS
            InboundMessage.objects.filter(pk=inbound.pk).update(
                status=InboundMessage.Status.FAILED if gave_up else InboundMessage.Status.PENDING,
                last_error=f"{type(exc).__name__}: {exc}"[:1000],
            )
            return
        InboundMessage.objects.filter(pk=inbound.pk).update(status=status, processed_at=now, conversation_id=conversation_id, last_error="")
    if needs_bot is not None:
        # After the commit, as the widget does after its ack: the message is stored whatever the bot does.
        with translation.override(inbound.account.language):
            bot_bridge.respond(conversation_id=needs_bot[0], message_id=needs_bot[1], now=timezone.now())
    if conversation_id is not None:
        # The bot's answer (or the handoff line) goes out at once rather than on the next tick.
        outbound.forward_and_send(timezone.now(), conversation_ids=[conversation_id])


def _into_chat(inbound: InboundMessage, *, now: datetime) -> tuple[str, int | None, tuple[int, int] | None]:
    account, fields = inbound.account, inbound.fields
    customer = customer_for_openid(appid=account.appid, openid=inbound.openid)
    event = fields.get("Event", "").upper() if inbound.msg_type == "event" else ""
    if event == "SUBSCRIBE":
        greeting = account.channel.greeting(account.language)
        if greeting:
            outbound.enqueue_text(account=account, openid=inbound.openid, text=greeting, now=now)
        return InboundMessage.Status.DONE, None, None
    if event == "UNSUBSCRIBE":
        link = _open_link(account, inbound.openid)
        if link is not None:
            services.post_system_message(
                conversation_id=link.conversation_id,
                event="wechat_unsubscribed",
                text=_("The customer unfollowed the Official Account: replies can no longer reach them."),
                now=now,
            )
            return InboundMessage.Status.DONE, link.conversation_id, None
        return InboundMessage.Status.DONE, None, None
    if inbound.msg_type == "event" and event != "CLICK":
        return InboundMessage.Status.IGNORED, None, None  # VIEW, SCAN, LOCATION reports...: nothing for a person to read
    text = readable_text(fields).strip() or _("[Empty message]")
    conversation = _conversation_for(account, customer=customer, openid=inbound.openid, first_message=text)
    meta = {"wechat": {k: v for k, v in fields.items() if k in ("MsgType", "MsgId", "MediaId", "PicUrl", "Format", "Event", "EventKey")}}
    post: dict[str, Any] = {
        "sender": services.Sender.visitor(customer.pk),
        "body": text[:4000],
        "client_id": f"wx-{inbound.pk}",
        "meta": meta,
    }
    try:
        result = services.post_message(conversation_id=conversation.pk, now=now, **post)
    except Conflict as error:
        if error.details.get("reason") != "conversation_closed":
            raise
        # Closed between the lookup and the post (an agent, a timer): the message opens a new one.
        conversation = _conversation_for(account, customer=customer, openid=inbound.openid, first_message=text)
        result = services.post_message(conversation_id=conversation.pk, now=now, **post)
    bot = (conversation.pk, result.message.pk) if result.needs_bot else None
    return InboundMessage.Status.DONE, conversation.pk, bot


def _open_link(account: WeChatAccount, openid: str) -> WeChatConversation | None:
    return (
        WeChatConversation.objects.filter(account=account, openid=openid)
        .exclude(conversation__status=Conversation.Status.CLOSED)
        .order_by("-conversation_id")
        .first()
    )


def _conversation_for(account: WeChatAccount, *, customer: Customer, openid: str, first_message: str) -> Conversation:
    """The WeChat user's current conversation on the account's channel, or a new one (bot first, if the
    channel's bot mode says so, then routing: chat's own services, as for the widget)."""
    conversation, _created = services.open_visitor_conversation(
        channel=account.channel, customer=customer, language=account.language, first_message=first_message
    )
    WeChatConversation.objects.get_or_create(conversation=conversation, defaults={"account": account, "openid": openid})
    return conversation


def process_pending(now: datetime, *, limit: int = 50) -> int:
    """The periodic job: rows a node stored but did not finish (it stopped, or the work failed)."""
    due = list(
        InboundMessage.objects.filter(status=InboundMessage.Status.PENDING, received_at__lte=now - SWEEP_GRACE)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for inbound_id in due:
        process(inbound_id=inbound_id, now=now)
    return len(due)
