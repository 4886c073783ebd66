"""The custom actions a Rasa assistant calls on our action server: answers from the knowledge base
(action_faq_answer) and tickets through the ticket desk (action_create_ticket, action_ticket_status).

rasa-sdk runs actions in its asyncio server; everything that touches the database runs in
asgiref's worker thread (sync_to_async), with stale connections closed around it as Django does
around a request. The actions only read the tracker and return what to say and which slots to set."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.utils import translation
from django.utils.translation import gettext as _
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import hooks, replies, selectors, services
from bot.rasa import slots
from contactcenter.core.errors import ContactCenterError

logger = logging.getLogger(__name__)

# What a suggestion counts as in a conversation we do not know by id (a Rasa sender of its own):
# earlier suggestions in the tracker are the turns that did not help.
_FAILED_ACTIONS = ("suggest", "clarify")
NUMBER_MAX_CHARS = 64


@dataclass(frozen=True)
class ActionInput:
    """The part of a Rasa tracker the actions use."""

    sender_id: str
    text: str
    message_id: str
    slots: Mapping[str, Any]
    events: Sequence[Any]

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> ActionInput:
        latest = tracker.latest_message if isinstance(tracker.latest_message, Mapping) else {}
        return cls(
            sender_id=str(tracker.sender_id)[:200],
            text=slots.latest_text(latest),
            message_id=slots.latest_message_id(latest),
            slots=tracker.slots if isinstance(tracker.slots, Mapping) else {},
            events=tracker.events if isinstance(tracker.events, list) else [],
        )

    @property
    def language(self) -> str:
        """zh or en: the ``language`` slot when set, else guessed from the message."""
        return selectors.question_language(self.text, slots.language(self.slots))


@dataclass
class ActionOutput:
    messages: list[dict[str, Any]] = field(default_factory=list)  # keyword arguments of utter_message
    events: list[dict[str, Any]] = field(default_factory=list)

    def say(self, text: str, **extra: Any) -> None:
        self.messages.append({"text": text, **extra})

    def set(self, slot: str, value: Any) -> None:
        self.events.append(SlotSet(slot, value))


class DatabaseAction(Action):  # type: ignore[misc]  # rasa-sdk has no type information
    """An action whose work (``handle``) runs in the database thread, in the asker's language."""

    action_name: ClassVar[str] = ""

    def name(self) -> str:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        request = ActionInput.from_tracker(tracker)
        output = await sync_to_async(self._in_database_thread, thread_sensitive=True)(request)
        for message in output.messages:
            dispatcher.utter_message(**message)
        return output.events

    def _in_database_thread(self, request: ActionInput) -> ActionOutput:
        close_old_connections()
        try:
            with translation.override("zh-hans" if request.language == "zh" else "en"):
                return self.handle(request)
        finally:
            close_old_connections()

    def handle(self, request: ActionInput) -> ActionOutput:
        raise NotImplementedError


class FaqAnswer(DatabaseAction):
    """Answer the latest user message from the knowledge base: the answer, a choice of questions,
    small talk, or a handoff with its reason (also as a ``custom`` payload our connector reads)."""

    action_name = "action_faq_answer"

    def handle(self, request: ActionInput) -> ActionOutput:
        conversation_id = slots.conversation_id(request.sender_id)
        if conversation_id is not None:
            failures = selectors.failures_in(conversation_id)
        else:
            failures = sum(1 for value in slots.slot_values(request.events, "faq_action") if value in _FAILED_ACTIONS)
        decision = selectors.ask(request.text, language=request.language, failures=failures)
        answer = decision.answer
        turn = services.record_turn(
            question=request.text,
            language=request.language,
            action=decision.action,
            reason=decision.reason,
            article_id=answer.article.pk if answer is not None else None,
            score=decision.score,
            candidates=decision.as_dict()["candidates"],
            sentiment=decision.signals.sentiment if decision.signals else 0.0,
            conversation_id=conversation_id,
        )
        output = ActionOutput()
        if decision.action == "answer" and answer is not None:
            # answer_text is the article's answer through bot.sanitize.plain_text (bot.knowledge).
            output.say(answer.article.answer_text)
        elif decision.action == "suggest":
            questions = [c.article.question for c in decision.candidates]
            listed = "\n".join(f"{number}. {question}" for number, question in enumerate(questions, start=1))
            heading = _("Did you mean one of these?")
            output.say(f"{heading}\n{listed}", buttons=[{"title": q, "payload": q} for q in questions])
        elif decision.action in ("smalltalk", "clarify"):
            output.say(replies.smalltalk_text(decision.reason))
        else:
            output.say(replies.handoff_text(decision.reason), json_message={"handoff": True, "reason": decision.reason})
        output.set("faq_action", decision.action)
        output.set("faq_reason", decision.reason or None)
        output.set("faq_article_id", answer.article.external_id if answer is not None else None)
        output.set("faq_score", round(decision.score, 4))
        output.set("faq_turn_id", turn.pk)
        return output


def _tickets_unavailable(output: ActionOutput) -> ActionOutput:
    output.say(_("Ticket actions are not available on this server."))
    output.set("ticket_error", "unavailable")
    return output


def _refused(output: ActionOutput, problem: slots.SlotProblem) -> ActionOutput:
    output.say(problem.message)
    output.set(problem.slot, None)  # so a form asks for it again
    output.set("ticket_error", problem.code)
    return output


def _valid_number(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= NUMBER_MAX_CHARS else None


class CreateTicket(DatabaseAction):
    """Open a ticket with the ticket desk from the ``ticket_subject``, ``email`` / ``phone`` slots
    and the conversation so far; report its number in ``ticket_number``."""

    action_name = "action_create_ticket"

    def handle(self, request: ActionInput) -> ActionOutput:
        output = ActionOutput()
        backend = hooks.ticket_backend()
        if backend is None:
            return _tickets_unavailable(output)
        try:
            subject = slots.subject(request.slots)
            email = slots.email(request.slots)
            phone = slots.phone(request.slots)
        except slots.SlotProblem as problem:
            return _refused(output, problem)
        if not email and not phone:
            output.say(_("How can we reach you about this? Please give an email address or a phone number."))
            output.set("ticket_error", "missing_contact")
            return output
        ticket = hooks.TicketRequest(
            subject=subject,
            email=email,
            phone=phone,
            language=request.language,
            transcript=slots.transcript(request.events),
            conversation_id=slots.conversation_id(request.sender_id),
            requester_ref=request.sender_id,
            idempotency_key=f"rasa:{request.sender_id}:{request.message_id}" if request.message_id else "",
            source="rasa",
        )
        try:
            receipt = backend.create(ticket)
            number = _valid_number(receipt.number) if isinstance(receipt, hooks.TicketReceipt) else None
            if number is None:
                raise TypeError(f"the ticket backend returned {receipt!r}, not a TicketReceipt with a number")
        except ContactCenterError as error:
            output.say(str(error.message))
            output.set("ticket_error", error.code)
            return output
        except Exception:
            logger.exception("ticket backend %r failed to create a ticket for %s", backend.name, request.sender_id)
            output.say(_("Sorry, I couldn't open a ticket just now. Please try again later, or ask for an agent."))
            output.set("ticket_error", "failed")
            return output
        contact = email or phone
        output.say(_("I've opened ticket %(number)s. We'll get back to you at %(contact)s.") % {"number": number, "contact": contact})
        output.set("ticket_number", number)
        output.set("ticket_status", receipt.status if isinstance(receipt.status, str) else None)
        output.set("ticket_error", None)
        return output


class TicketStatusAction(DatabaseAction):
    """Tell the status of the ticket in the ``ticket_number`` slot (only when the ticket desk
    finds it for the ``email`` / ``phone`` given, if any)."""

    action_name = "action_ticket_status"

    def handle(self, request: ActionInput) -> ActionOutput:
        output = ActionOutput()
        backend = hooks.ticket_backend()
        if backend is None:
            return _tickets_unavailable(output)
        try:
            number = slots.ticket_number(request.slots)
        except slots.SlotProblem as problem:
            return _refused(output, problem)
        try:
            email = slots.email(request.slots)
        except slots.SlotProblem:
            email = ""  # a wrong contact only narrows the lookup less; the ticket desk decides
        try:
            phone = slots.phone(request.slots)
        except slots.SlotProblem:
            phone = ""
        try:
            found = backend.status(hooks.TicketLookup(number=number, email=email, phone=phone))
            if found is not None and not (isinstance(found, hooks.TicketStatus) and isinstance(found.label, str)):
                raise TypeError(f"the ticket backend returned {found!r}, not a TicketStatus")
        except ContactCenterError as error:
            output.say(str(error.message))
            output.set("ticket_error", error.code)
            return output
        except Exception:
            logger.exception("ticket backend %r failed to look up ticket %s", backend.name, number)
            output.say(_("Sorry, I couldn't look up tickets just now. Please try again later, or ask for an agent."))
            output.set("ticket_error", "failed")
            return output
        if found is None:
            output.say(_("I couldn't find ticket %(number)s. Please check the number.") % {"number": number})
            output.set("ticket_status", None)
            output.set("ticket_error", "not_found")
            return output
        output.say(_("Ticket %(number)s: %(status)s.") % {"number": number, "status": found.label[:200]})
        output.set("ticket_status", found.status)
        output.set("ticket_error", None)
        return output


ACTIONS: tuple[type[DatabaseAction], ...] = (FaqAnswer, CreateTicket, TicketStatusAction)
