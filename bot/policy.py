"""What the bot does with a message: answer, suggest the top 3, small talk, or hand off (and why).

Thresholds are on the hybrid score of bot.retrieval.index (embedding cosine plus keyword terms).
They were set from principles checked on our own held-out phrasings (docs/bot.md), not fitted to
the sample file: answer when the best article is clearly similar *and* clearly ahead of the
next one; in the gray zone offer choices rather than guess; below it, say so and hand off."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.intents import MessageSignals, signals
from bot.retrieval.index import Candidate
from bot.retrieval.text import content_size, looks_like_words

ANSWER_SCORE = 0.30  # at or above: confident enough to answer
CLEAR_MARGIN = 0.02  # ... when the runner-up in the same language is at least this far behind
SURE_SCORE = 0.50  # at or above: answer whatever the margin (near-duplicates in the KB)
SUGGEST_SCORE = 0.25  # gray zone floor: below it nothing in the KB is about this
SUGGEST_COUNT = 3
NEGATIVE_SENTIMENT = -0.75  # strong anger hands off at once
MAX_FAILURES = 2  # unhelpful or unanswered turns before a person takes over


class Reason:
    ASKED_FOR_PERSON = "asked_for_person"
    COMPLAINT = "complaint"
    NEGATIVE_SENTIMENT = "negative_sentiment"
    OUT_OF_SCOPE = "out_of_scope"
    NO_ANSWER = "no_answer"
    REPEATED_FAILURE = "repeated_failure"
    UNHELPFUL = "unhelpful"
    GREETING = "greeting"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    EMPTY = "empty"


@dataclass(frozen=True)
class Decision:
    action: str  # answer | suggest | handoff | smalltalk | clarify
    reason: str = ""
    answer: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)
    signals: MessageSignals | None = None

    @property
    def score(self) -> float:
        if self.answer is not None:
            return self.answer.score
        return self.candidates[0].score if self.candidates else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The shape ``contactcenter faq ask --json`` prints."""
        return {
            "action": "handoff" if self.action not in ("answer", "suggest") else self.action,
            "answer_id": self.answer.article.external_id if self.answer is not None else None,
            "score": round(self.score, 4),
            "candidates": [{"id": c.article.external_id, "score": round(c.score, 4)} for c in self.candidates],
            "reason": self.reason,
        }


def decide(text: str, candidates: list[Candidate], *, failures: int = 0) -> Decision:
    """``candidates``: the index's best matches, best first; ``failures``: earlier turns of this
    conversation that did not help (suggestions, unanswered questions, 'no' to 'did this help?')."""
    found = signals(text)
    top = candidates[:SUGGEST_COUNT]

    def handoff(reason: str) -> Decision:
        return Decision("handoff", reason, candidates=top, signals=found)

    if not text.strip():
        return Decision("clarify", Reason.EMPTY, signals=found)
    if found.wants_person:
        return handoff(Reason.ASKED_FOR_PERSON)
    if found.complaint:
        return handoff(Reason.COMPLAINT)
    if found.sentiment <= NEGATIVE_SENTIMENT:
        return handoff(Reason.NEGATIVE_SENTIMENT)
    for flag, reason in ((found.greeting, Reason.GREETING), (found.thanks, Reason.THANKS), (found.goodbye, Reason.GOODBYE)):
        if flag:
            return Decision("smalltalk", reason, candidates=top, signals=found)
    if found.out_of_scope or not looks_like_words(text) or content_size(text) == 0:
        return handoff(Reason.OUT_OF_SCOPE)
    best = candidates[0] if candidates else None
    if best is not None:
        # A runner-up in another language is usually the same article translated (bilingual
        # knowledge bases keep both): it does not make the choice less clear.
        runner_up = next((c.score for c in candidates[1:] if c.article.language == best.article.language), 0.0)
        if best.score >= SURE_SCORE or (best.score >= ANSWER_SCORE and best.score - runner_up >= CLEAR_MARGIN):
            return Decision("answer", answer=best, candidates=top, signals=found)
        if failures >= MAX_FAILURES:
            return handoff(Reason.REPEATED_FAILURE)
        if best.score >= SUGGEST_SCORE:
            return Decision("suggest", candidates=[c for c in top if c.score >= SUGGEST_SCORE], signals=found)
    return handoff(Reason.REPEATED_FAILURE if failures >= MAX_FAILURES else Reason.NO_ANSWER)
