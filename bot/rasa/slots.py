"""What the actions read from a Rasa tracker, checked: slot values arrive as whatever the assistant
(or whoever reaches the action server) sent, so each is type- and size-checked before use."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from bot.hooks import TranscriptLine

SUBJECT_MAX_CHARS = 200
EMAIL_MAX_CHARS = 254
PHONE_MAX_CHARS = 32
TICKET_NUMBER_MAX_CHARS = 32
LANGUAGE_MAX_CHARS = 16
QUESTION_MAX_CHARS = 2000
TRANSCRIPT_LINES = 50
TRANSCRIPT_LINE_CHARS = 2000
# Rasa sends the whole tracker; only the recent end of a long one is looked at.
EVENTS_SCANNED = 1000

_PHONE = re.compile(r"\+?[0-9 ().\-/]+")
_TICKET_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*")
# Our own connector talks to Rasa as "cc-<conversation id>" (bot.rasa.connector's callers).
_OUR_SENDER = re.compile(r"cc-([0-9]{1,18})")


class SlotProblem(Exception):
    """A slot the action needs is missing or unusable. ``message`` is for the customer (translated
    when raised); ``code`` goes into the ``ticket_error`` slot for the assistant's stories."""

    def __init__(self, slot: str, code: str, message: str) -> None:
        super().__init__(f"{slot}: {code}")
        self.slot, self.code, self.message = slot, code, message


def _text(slots: Mapping[str, Any], name: str, *, max_chars: int) -> str:
    """The slot's text, stripped; '' when unset. Whole numbers are accepted as text (a number
    entity fills a float slot); anything else is the wrong type."""
    value = slots.get(name)
    if value is None:
        return ""
    if isinstance(value, bool):
        raise SlotProblem(name, "wrong_type", _("Sorry, I couldn't read that. Could you type it again?"))
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        value = str(int(value))
    if not isinstance(value, str):
        raise SlotProblem(name, "wrong_type", _("Sorry, I couldn't read that. Could you type it again?"))
    value = value.strip()
    if len(value) > max_chars:
        raise SlotProblem(name, "too_long", _("That is too long (at most %(count)d characters).") % {"count": max_chars})
    return value


def subject(slots: Mapping[str, Any]) -> str:
    value = _text(slots, "ticket_subject", max_chars=SUBJECT_MAX_CHARS)
    if not value:
        raise SlotProblem("ticket_subject", "missing", _("What is the ticket about? Please give a short subject."))
    return " ".join(value.split())


def email(slots: Mapping[str, Any]) -> str:
    value = _text(slots, "email", max_chars=EMAIL_MAX_CHARS)
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise SlotProblem("email", "invalid", _("That doesn't look like an email address.")) from None
    return value


def phone(slots: Mapping[str, Any]) -> str:
    value = _text(slots, "phone", max_chars=PHONE_MAX_CHARS)
    if value and (not _PHONE.fullmatch(value) or sum(c.isdigit() for c in value) < 5):
        raise SlotProblem("phone", "invalid", _("That doesn't look like a phone number."))
    return value


def ticket_number(slots: Mapping[str, Any]) -> str:
    value = _text(slots, "ticket_number", max_chars=TICKET_NUMBER_MAX_CHARS).lstrip("#").strip()
    if not value:
        raise SlotProblem("ticket_number", "missing", _("Which ticket? Please give its number."))
    if not _TICKET_NUMBER.fullmatch(value):
        raise SlotProblem("ticket_number", "invalid", _("That doesn't look like a ticket number."))
    return value


def language(slots: Mapping[str, Any]) -> str | None:
    """The ``language`` slot when it is a short text (zh, zh-hans, en ...), else None (guess)."""
    value = slots.get("language")
    if isinstance(value, str) and 0 < len(value.strip()) <= LANGUAGE_MAX_CHARS:
        return value.strip()
    return None


def latest_text(latest_message: Mapping[str, Any]) -> str:
    value = latest_message.get("text")
    return value[:QUESTION_MAX_CHARS] if isinstance(value, str) else ""


def latest_message_id(latest_message: Mapping[str, Any]) -> str:
    value = latest_message.get("message_id")
    return value[:100] if isinstance(value, str) else ""


def conversation_id(sender_id: str) -> int | None:
    """Our conversation's id when Rasa talks to us through our own connector, else None."""
    match = _OUR_SENDER.fullmatch(sender_id)
    return int(match.group(1)) if match else None


def _recent(events: Sequence[Any]) -> list[Mapping[str, Any]]:
    return [e for e in events[-EVENTS_SCANNED:] if isinstance(e, Mapping)]


def slot_values(events: Sequence[Any], name: str) -> list[Any]:
    """Values the slot was set to in this tracker, oldest first."""
    return [e.get("value") for e in _recent(events) if e.get("event") == "slot" and e.get("name") == name]


def transcript(events: Sequence[Any]) -> tuple[TranscriptLine, ...]:
    """The last messages of the conversation (customer and bot), for a ticket's description."""
    lines = []
    for event in _recent(events):
        kind, text = event.get("event"), event.get("text")
        if kind not in ("user", "bot") or not isinstance(text, str) or not text.strip():
            continue
        stamp = event.get("timestamp")
        at = None
        if isinstance(stamp, int | float) and not isinstance(stamp, bool) and 0 < stamp < 1e11:
            at = datetime.fromtimestamp(stamp, tz=UTC)
        lines.append(TranscriptLine(speaker="customer" if kind == "user" else "bot", text=text.strip()[:TRANSCRIPT_LINE_CHARS], at=at))
    return tuple(lines[-TRANSCRIPT_LINES:])
