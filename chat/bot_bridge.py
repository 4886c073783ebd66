"""The bot's turn in a conversation: while a conversation is with the bot, each visitor message is
answered from the knowledge base (or by the channel's Rasa assistant); a request for a person,
anger, an unknown question or two turns that did not help hand it to routing with the reason,
which the agent who is offered it sees."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from bot import replies
from bot import selectors as bot_selectors
from bot import services as bot_services
from bot.knowledge import answerable
from bot.models import BotTurn
from bot.policy import Decision, Reason
from chat import services
from chat.models import Conversation, Message
from contactcenter.core.errors import NotFound
from contactcenter.core.inboxes.models import Channel

logger = logging.getLogger(__name__)
BOT = services.Sender(kind=Message.SenderKind.BOT)


def _post_bot(conversation: Conversation, *, body: str, now: datetime, meta: dict[str, Any]) -> Message:
    message, _payload = services.append_locked(conversation, sender=BOT, body=body, now=now, meta=meta)
    return message


def respond(*, conversation_id: int, message_id: int, now: datetime) -> None:
    """Answer a visitor message while the conversation is with the bot (no-op otherwise)."""
    conversation = Conversation.objects.select_related("channel", "customer").filter(pk=conversation_id).first()
    message = Message.objects.filter(pk=message_id, conversation_id=conversation_id).first()
    if conversation is None or message is None or conversation.status != Conversation.Status.BOT or not message.body.strip():
        return
    text = message.body
    with translation.override(conversation.language):
        rasa = conversation.channel.bot_mode == Channel.BotMode.RASA and conversation.channel.rasa_url
        if rasa and _respond_with_rasa(conversation, text=text, now=now):
            return
        decision = bot_selectors.ask(
            text, language=conversation.language, team_id=conversation.team_id, failures=bot_selectors.failures_in(conversation.pk)
        )
        _act(conversation, decision=decision, text=text, now=now)


def _act(conversation: Conversation, *, decision: Decision, text: str, now: datetime) -> None:
    answer = decision.answer
    if answer is not None and not answerable().filter(pk=answer.article.pk).exists():
        # The process's index is up to CC_BOT_INDEX_CHECK_S old: the article was withdrawn since.
        decision = Decision("handoff", Reason.NO_ANSWER, candidates=decision.candidates, signals=decision.signals)
        answer = None
    turn = bot_services.record_turn(
        question=text,
        language=bot_selectors.question_language(text, conversation.language),
        action=decision.action,
        reason=decision.reason,
        article_id=answer.article.pk if answer is not None else None,
        score=decision.score,
        candidates=decision.as_dict()["candidates"],
        sentiment=decision.signals.sentiment if decision.signals else 0.0,
        conversation_id=conversation.pk,
    )
    with transaction.atomic():
        locked = services.lock_conversation(conversation.pk)
        if locked.status != Conversation.Status.BOT:
            return  # an agent took it meanwhile: the bot stays quiet
        meta: dict[str, Any] = {"bot": decision.action, "turn_id": turn.pk}
        if decision.action == "answer" and answer is not None:
            meta.update(article_id=answer.article.external_id, question=answer.article.question, feedback=True)
            _post_bot(locked, body=answer.article.answer_text, now=now, meta=meta)
        elif decision.action == "suggest":
            meta["suggestions"] = [{"article_id": c.article.external_id, "question": c.article.question} for c in decision.candidates]
            _post_bot(locked, body=_("Did you mean one of these?"), now=now, meta=meta)
        elif decision.action in ("smalltalk", "clarify"):
            _post_bot(locked, body=replies.smalltalk_text(decision.reason), now=now, meta=meta)
        else:
            meta["reason"] = decision.reason
            _post_bot(locked, body=replies.handoff_text(decision.reason), now=now, meta=meta)
            hand_off(locked, reason=decision.reason, quote=text, now=now)


def _respond_with_rasa(conversation: Conversation, *, text: str, now: datetime) -> bool:
    """The channel's Rasa assistant answers; False when it could not (the built-in bot answers then)."""
    from django.conf import settings

    from bot.rasa.connector import ask_rasa

    result = ask_rasa(
        url=conversation.channel.rasa_url,
        sender_id=f"cc-{conversation.pk}",
        text=text,
        timeout_s=settings.CC_RASA_TIMEOUT_S,
        metadata={"language": conversation.language, "channel": conversation.channel.public_key},
    )
    if result is None:
        return False
    with transaction.atomic():
        locked = services.lock_conversation(conversation.pk)
        if locked.status != Conversation.Status.BOT:
            return True
        for reply in result.replies:
            meta: dict[str, Any] = {"bot": "rasa"}
            if reply.buttons:
                meta["suggestions"] = [{"question": b.title, "payload": b.payload} for b in reply.buttons]
            if reply.text or reply.buttons:
                _post_bot(locked, body=reply.text or _("Choose one:"), now=now, meta=meta)
        if result.handoff:
            hand_off(locked, reason="rasa", quote=result.handoff_reason or text, now=now)
    return True


def hand_off(conversation: Conversation, *, reason: str, quote: str, now: datetime) -> None:
    """From the bot to a person: into the line with the reason (kept on the queue entry, shown to
    the agent who is offered it). The caller holds the conversation row lock."""
    first = Message.objects.filter(conversation_id=conversation.pk, sender_kind=Message.SenderKind.VISITOR).order_by("seq").first()
    label = replies.reason_label(reason)
    note = _("Bot handoff: %(reason)s — “%(quote)s”") % {"reason": label, "quote": quote.strip()[:300]}
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.QUEUED)
    conversation.status = Conversation.Status.QUEUED
    services.system_message_locked(conversation, event="bot_handoff", text=str(_("Connecting you to a person…")), now=now, reason=reason)
    entry = services.enqueue_conversation(conversation, now=now, first_message=first.body if first else quote, reason=note)
    services.publish_summary(conversation, to_team=True)
    services.dispatch_after_commit([entry.queue_id])


def request_person(*, conversation_id: int, customer_id: int, now: datetime) -> bool:
    """The visitor pressed "talk to a person". False when the conversation is not with the bot."""
    with transaction.atomic():
        conversation = services.lock_conversation(conversation_id)
        if conversation.customer_id != customer_id:
            raise NotFound(_("No such conversation."))
        if conversation.status != Conversation.Status.BOT:
            return False
        with translation.override(conversation.language):
            bot_services.record_turn(
                question="",
                language=conversation.language[:2],
                action=BotTurn.Action.HANDOFF,
                reason=Reason.ASKED_FOR_PERSON,
                conversation_id=conversation_id,
            )
            hand_off(conversation, reason=Reason.ASKED_FOR_PERSON, quote=_("talk to a person"), now=now)
    return True


def feedback(*, conversation_id: int, customer_id: int, turn_id: int, helpful: bool, now: datetime) -> None:
    """'Did this help?' from the visitor. 'No' offers a person; after two turns that did not help the
    bot hands off by itself."""
    conversation = Conversation.objects.filter(pk=conversation_id, customer_id=customer_id).first()
    if conversation is None:
        raise NotFound(_("No such conversation."))
    turn = bot_services.record_feedback(turn_id=turn_id, helpful=helpful, conversation_id=conversation_id)
    if helpful:
        return
    with transaction.atomic(), translation.override(conversation.language):
        locked = services.lock_conversation(conversation_id)
        if locked.status != Conversation.Status.BOT:
            return
        if bot_selectors.failures_in(conversation_id) >= 2:
            _post_bot(locked, body=replies.handoff_text(Reason.UNHELPFUL), now=now, meta={"bot": "handoff", "reason": Reason.UNHELPFUL})
            hand_off(locked, reason=Reason.UNHELPFUL, quote=turn.question, now=now)
        else:
            _post_bot(
                locked,
                body=_("Sorry that didn't help. Try asking another way, or talk to a person."),
                now=now,
                meta={"bot": "offer_person"},
            )
