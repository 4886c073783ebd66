"""What the bot says, in the asker's language (callers activate it): the same words in the chat
and through the Rasa action server."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bot.policy import Reason


def reason_label(reason: str) -> str:
    labels = {
        Reason.ASKED_FOR_PERSON: _("asked for a person"),
        Reason.COMPLAINT: _("complaint"),
        Reason.NEGATIVE_SENTIMENT: _("upset visitor"),
        Reason.OUT_OF_SCOPE: _("question outside the FAQ"),
        Reason.NO_ANSWER: _("no answer in the FAQ"),
        Reason.REPEATED_FAILURE: _("the bot's answers did not help"),
        Reason.UNHELPFUL: _("the visitor said the answer did not help"),
        "rasa": _("the Rasa assistant handed off"),
    }
    return str(labels.get(reason, reason))


def handoff_text(reason: str) -> str:
    if reason == Reason.OUT_OF_SCOPE:
        return _("Sorry, I can only answer questions about our services. I'm connecting you to a colleague who can help.")
    if reason == Reason.NO_ANSWER:
        return _("I don't have an answer to that. I'm connecting you to a colleague.")
    if reason in (Reason.COMPLAINT, Reason.NEGATIVE_SENTIMENT):
        return _("I'm sorry about this. I'm connecting you to a colleague right away.")
    if reason in (Reason.REPEATED_FAILURE, Reason.UNHELPFUL):
        return _("Sorry I couldn't help. I'm connecting you to a colleague.")
    return _("Sure, I'm connecting you to a colleague.")


def smalltalk_text(reason: str) -> str:
    if reason == Reason.THANKS:
        return _("You're welcome! Anything else I can help with?")
    if reason == Reason.GOODBYE:
        return _("Goodbye, and thanks for reaching out!")
    if reason == Reason.EMPTY:
        return _("Could you tell me a little more about your question?")
    return _("Hello! I'm the assistant. Ask me a question, or write “agent” to talk to a person.")
