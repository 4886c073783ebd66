"""Reads: what the bot would do with a question, knowledge-base search for agents, and the list of
questions the bot could not answer (or answered unhelpfully), grouped for the KB owners."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from bot import knowledge
from bot.classify import Insight, insight
from bot.models import Article, BotTurn
from bot.policy import Decision, decide
from bot.retrieval.encoder import Encoder
from bot.retrieval.text import has_cjk, normalize, tokens
from contactcenter.core.inboxes.models import Channel
from contactcenter.core.staff.models import AgentProfile

FAILED = Q(action__in=[BotTurn.Action.SUGGEST, BotTurn.Action.CLARIFY]) | Q(helpful=False) | Q(reason="no_answer")


def question_language(text: str, hint: str | None = None) -> str:
    """'zh' or 'en': the hint when given (zh, zh-hans, en...), else guessed from the text."""
    if hint:
        return "zh" if hint.lower().startswith("zh") else "en"
    return "zh" if has_cjk(text) else "en"


def ask(
    question: str, *, language: str | None = None, team_id: int | None = None, failures: int = 0, encoder: Encoder | None = None
) -> Decision:
    """What the bot does with ``question`` (no side effects: services.record_turn logs it)."""
    question = question.strip()[:2000]
    index = knowledge.current_index(encoder=encoder)
    candidates = index.search(question, language=question_language(question, language), team_id=team_id, limit=5) if question else []
    return decide(question, candidates, failures=failures)


def answers_first(channel: Channel) -> bool:
    """Whether the channel's new conversations meet the bot first: the built-in bot while the
    knowledge base has published public articles for the channel's team (a bot with nothing to
    say would only stand in the way), a configured Rasa assistant always, and never when off."""
    if channel.bot_mode == Channel.BotMode.OFF:
        return False
    if channel.bot_mode == Channel.BotMode.RASA and channel.rasa_url:
        return True
    return bool(knowledge.answerable().filter(Q(team__isnull=True) | Q(team_id=channel.team_id)).exists())


def text_insight(texts: list[str]) -> Insight:
    """Sentiment (worst of the texts) and suggested type / category labels for a conversation or a
    ticket: shown to agents, and readable by rules."""
    return insight([t for t in texts if t.strip()], knowledge.current_classifier())


def failures_in(conversation_id: int) -> int:
    """Turns of this conversation that did not help: suggestions, questions without an answer,
    answers rated 'no'. Two of them and the bot hands off."""
    return BotTurn.objects.filter(FAILED, conversation_id=conversation_id).count()


def visible_articles(agent: AgentProfile) -> QuerySet[Article]:
    """Public and internal articles, and the agent's own personal notes."""
    return Article.objects.filter(Q(audience__in=[Article.Audience.PUBLIC, Article.Audience.INTERNAL]) | Q(owner=agent))


def _json_text_contains(field: str, text: str) -> Q:
    """``text`` inside a JSON list of strings, on every backend. SQLite keeps the JSON as Django wrote
    it, non-ASCII as \\uXXXX escapes; PostgreSQL's jsonb text has the characters themselves and
    escapes only quotes and backslashes. So look for the JSON-escaped form as well as the text."""
    escaped = json.dumps(text)[1:-1]
    query = Q(**{f"{field}__icontains": text})
    if escaped == text:
        return query
    return query | Q(**{f"{field}__icontains": escaped})


def search_articles(
    agent: AgentProfile,
    *,
    text: str = "",
    mode: str = "fuzzy",
    tag: str = "",
    status: str = "",
    updated_after: datetime | None = None,
    updated_before: datetime | None = None,
    limit: int = 50,
) -> list[Article]:
    """Knowledge-base search for agents: ``mode`` 'exact' (the phrase as typed, in question,
    phrasings or answer) or 'fuzzy' (keyword tokens, tolerant of word order and one-character
    differences, ranked by overlap); filtered by tag, status and time of the last change."""
    articles = visible_articles(agent)
    if tag:
        articles = articles.filter(_json_text_contains("tags", tag.strip()))
    if status:
        articles = articles.filter(status=status)
    if updated_after is not None:
        articles = articles.filter(updated_at__gte=updated_after)
    if updated_before is not None:
        articles = articles.filter(updated_at__lt=updated_before)
    text = text.strip()

    def whole_tag(found: Iterable[Article]) -> list[Article]:
        # The SQL filter finds the tag inside the JSON text ("bill" in "billing" too): keep whole tags.
        wanted_tag = tag.strip().casefold()
        return [a for a in found if not tag or any(isinstance(t, str) and t.casefold() == wanted_tag for t in a.tags)]

    if not text:
        return whole_tag(articles.order_by("-updated_at"))[:limit]
    if mode == "exact":
        found = articles.filter(Q(question__icontains=text) | Q(answer__icontains=text) | _json_text_contains("phrasings", text))
        return whole_tag(found.order_by("-updated_at"))[:limit]
    wanted = set(tokens(text))
    if tag:
        wanted.discard(tag)
    ranked: list[tuple[float, int, Article]] = []
    for article in whole_tag(
        articles.only("id", "external_id", "question", "phrasings", "answer", "tags", "status", "audience", "updated_at", "language")
    ):
        haystack = " ".join([article.question, *article.phrasings, article.answer])
        have = set(tokens(haystack))
        overlap = len(wanted & have) / max(1, len(wanted))
        ratio = difflib.SequenceMatcher(None, normalize(text), normalize(article.question)).ratio()
        score = max(overlap, ratio)
        # Half the question's keywords, or a question worded nearly the same (unrelated English
        # questions share ~40% of their characters: that is not a match).
        if overlap >= 0.5 or ratio >= 0.6:
            ranked.append((-score, article.pk, article))
    return [article for _, _, article in sorted(ranked)[:limit]]


@dataclass(frozen=True)
class QuestionGroup:
    """Questions the bot failed on that mean the same thing, with how often and the latest."""

    question: str
    count: int
    unhelpful: int
    last_asked: datetime
    examples: list[str]
    article_id: int | None


def unanswered(*, since: datetime | None = None, limit: int = 50, similarity: float = 0.6) -> list[QuestionGroup]:
    """Handed-off-for-no-answer, suggested-only and rated-unhelpful questions, grouped by wording
    (keyword overlap), biggest group first: what the knowledge base should answer next."""
    turns = BotTurn.objects.filter(FAILED)
    if since is not None:
        turns = turns.filter(created_at__gte=since)
    groups: list[dict[str, Any]] = []
    for turn in turns.order_by("-created_at")[:2000]:
        words = set(tokens(turn.question))
        for group in groups:
            shared = len(words & group["words"]) / max(1, min(len(words), len(group["words"])))
            if shared >= similarity:
                group["turns"].append(turn)
                break
        else:
            groups.append({"words": words, "turns": [turn]})
    result = [_group(g["turns"]) for g in groups]
    return sorted(result, key=lambda g: (-g.count, -g.last_asked.timestamp()))[:limit]


def _group(turns: Iterable[BotTurn]) -> QuestionGroup:
    turns = list(turns)
    examples = list(dict.fromkeys(t.question for t in turns))[:5]
    articles = [t.article_id for t in turns if t.helpful is False and t.article_id is not None]
    return QuestionGroup(
        question=turns[0].question,
        count=len(turns),
        unhelpful=sum(1 for t in turns if t.helpful is False),
        last_asked=max(t.created_at for t in turns),
        examples=examples,
        article_id=articles[0] if articles else None,
    )
