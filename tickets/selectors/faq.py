"""Reads of the public knowledge base for customers (portal help, hints while typing a subject): the
bot's published public articles only, found by the bot's retrieval, never internal or personal ones."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from bot import knowledge
from bot import selectors as bot_selectors
from bot.models import Article
from bot.policy import SUGGEST_SCORE
from bot.retrieval.text import tokens
from bot.sanitize import clean_answer, plain_text
from contactcenter.core.errors import NotFound

logger = logging.getLogger(__name__)
MAX_QUERY_CHARS = 300
EXCERPT_CHARS = 240


@dataclass(frozen=True, slots=True)
class FaqArticle:
    id: int
    question: str
    #: Sanitised again on the way out (bot.sanitize), so it is safe to render as HTML.
    answer_html: str
    excerpt: str


def _public(team_id: int | None) -> QuerySet[Article]:
    articles = knowledge.answerable()
    if team_id is not None:
        articles = articles.filter(Q(team__isnull=True) | Q(team_id=team_id))
    return articles


def _shown(article: Article) -> FaqArticle:
    answer = clean_answer(article.answer)
    text = plain_text(answer)
    excerpt = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"
    return FaqArticle(id=article.pk, question=article.question, answer_html=answer, excerpt=excerpt)


def faq_matches(*, query: str, language: str = "", team_id: int | None = None, limit: int = 5) -> list[FaqArticle]:
    """Public articles about ``query``, best first: the bot's retrieval (meaning and keywords), plus
    articles whose question holds the words, in case the retrieval finds nothing or cannot run."""
    query = " ".join(query.split())[:MAX_QUERY_CHARS]
    articles = _public(team_id)
    if not query or not articles.exists():
        return []
    ids: list[int] = []
    try:
        decision = bot_selectors.ask(query, language=language or None, team_id=team_id)
        ids = [c.article.pk for c in decision.candidates if c.score >= SUGGEST_SCORE]
    except Exception:  # the embedding model missing or broken: keywords still answer
        logger.exception("FAQ retrieval failed; falling back to keywords")
    if len(ids) < limit:
        words = [w for w in tokens(query) if len(w) > 1][:8]
        if words:
            condition = Q()
            for word in words:
                condition |= Q(question__icontains=word)
            ids += [
                pk for pk in articles.filter(condition).exclude(pk__in=ids).order_by("-updated_at").values_list("pk", flat=True)[:limit]
            ]
    found = {a.pk: a for a in articles.filter(pk__in=ids[:limit])}
    return [_shown(found[pk]) for pk in ids[:limit] if pk in found]


def latest_faq_articles(*, limit: int = 20) -> list[FaqArticle]:
    return [_shown(article) for article in knowledge.answerable().order_by("-updated_at", "-id")[:limit]]


def faq_article(*, article_id: int) -> FaqArticle:
    """One public article, else NotFound (drafts and internal articles read as missing)."""
    article = knowledge.answerable().filter(pk=article_id).first()
    if article is None:
        raise NotFound()
    return _shown(article)
