"""Suggesting a type / category / tag for a text, and flagging negative sentiment.

A multinomial naive Bayes over the keyword tokens of bot.retrieval.text (CJK character n-grams,
English stems): small, fast to train at every change, and honest about what it does not know
(it suggests nothing when no label stands out). It learns from labelled examples — the knowledge
base's tags and categories now (``kb_examples``), the ticket desk's solved tickets once it exists —
and the sentiment flag is bot.intents.sentiment (rules: complaint words, insults, shouting)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.intents import sentiment
from bot.retrieval.text import tokens

NEGATIVE_AT = -0.5  # sentiment at or below this is flagged "negative" for agents and rules
SMOOTHING = 0.5
MIN_PROBABILITY = 0.35  # below it a label is not worth suggesting


@dataclass(frozen=True)
class Suggestion:
    label: str
    probability: float


class LabelClassifier:
    def __init__(self, examples: Iterable[tuple[str, str]]) -> None:
        """``examples``: (text, label) pairs; a text may appear under several labels."""
        self._term_counts: dict[str, Counter[str]] = defaultdict(Counter)
        self._label_docs: Counter[str] = Counter()
        vocabulary: set[str] = set()
        for text, label in examples:
            label = label.strip()
            if not label:
                continue
            words = tokens(text)
            self._term_counts[label].update(words)
            self._label_docs[label] += 1
            vocabulary.update(words)
        self._vocabulary = len(vocabulary) or 1
        self._totals = {label: sum(counts.values()) for label, counts in self._term_counts.items()}
        documents = sum(self._label_docs.values()) or 1
        self._prior = {label: math.log(count / documents) for label, count in self._label_docs.items()}

    @property
    def labels(self) -> list[str]:
        return sorted(self._label_docs)

    def suggest(self, text: str, *, limit: int = 3) -> list[Suggestion]:
        words = [w for w in tokens(text)]
        if not words or len(self._label_docs) < 2:
            return []
        scores = {}
        for label, counts in self._term_counts.items():
            denominator = self._totals[label] + SMOOTHING * self._vocabulary
            seen = sum(1 for w in words if w in counts)
            if seen == 0:
                continue  # nothing of this text was ever seen under this label
            scores[label] = self._prior[label] + sum(math.log((counts[w] + SMOOTHING) / denominator) for w in words)
        if not scores:
            return []
        top = max(scores.values())
        weights = {label: math.exp(score - top) for label, score in scores.items()}
        total = sum(weights.values())
        ranked = sorted(((w / total, label) for label, w in weights.items()), reverse=True)
        return [Suggestion(label, round(p, 3)) for p, label in ranked[:limit] if p >= MIN_PROBABILITY]


@dataclass(frozen=True)
class Insight:
    """What an agent (or a rule) sees about a conversation or ticket text."""

    sentiment: float
    negative: bool
    labels: list[Suggestion]

    def as_dict(self) -> dict[str, object]:
        return {
            "sentiment": round(self.sentiment, 2),
            "negative": self.negative,
            "labels": [{"label": s.label, "probability": s.probability} for s in self.labels],
        }


def insight(texts: list[str], classifier: LabelClassifier | None) -> Insight:
    """Sentiment is the worst of the texts (one angry message is enough to flag); labels come from
    all of them together."""
    mood = min((sentiment(t) for t in texts), default=0.0)
    labels = classifier.suggest(" ".join(texts)) if classifier is not None and texts else []
    return Insight(mood, mood <= NEGATIVE_AT, labels)
