"""Every write to the knowledge base and the bot's log: imports, edits with versions, the review
workflow, answers given, and feedback on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from bot import importing
from bot.models import Article, ArticleVersion, BotTurn
from bot.sanitize import clean_answer
from contactcenter.core.errors import Forbidden, InvalidInput, NotFound
from contactcenter.core.staff.models import AgentProfile

EDITABLE_FIELDS = ("question", "phrasings", "answer", "tags", "category", "language", "audience", "team_id")


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "rejected": self.rejected,
        }


def import_articles(*, data: bytes, filename: str = "", now: datetime, by: AgentProfile | None = None) -> ImportReport:
    """Upsert articles by id from a JSON or CSV file. Imported articles are published and public:
    an import is an admin's act. A file that cannot be read raises InvalidInput and changes nothing."""
    parsed = importing.parse(data, filename=filename)
    report = ImportReport(rejected=parsed.rejected)
    with transaction.atomic():
        existing = {
            a.external_id: a for a in Article.objects.select_for_update().filter(external_id__in=[r.external_id for r in parsed.rows])
        }
        for row in parsed.rows:
            values = {
                "language": row.language,
                "question": row.question,
                "answer": clean_answer(row.answer),
                "tags": row.tags,
                "phrasings": row.phrasings,
                "category": row.category,
            }
            article = existing.get(row.external_id)
            if article is None:
                article = Article.objects.create(
                    external_id=row.external_id,
                    status=Article.Status.PUBLISHED,
                    audience=Article.Audience.PUBLIC,
                    published_at=now,
                    owner=by,
                    **values,
                )
                _snapshot(article, by=by)
                report.created.append(row.external_id)
                continue
            if not row.category:
                values.pop("category")
            if all(getattr(article, name) == value for name, value in values.items()) and article.status == Article.Status.PUBLISHED:
                report.unchanged.append(row.external_id)
                continue
            for name, value in values.items():
                setattr(article, name, value)
            article.version += 1
            if article.status != Article.Status.PUBLISHED:
                article.status, article.published_at = Article.Status.PUBLISHED, now
            article.save()
            _snapshot(article, by=by)
            report.updated.append(row.external_id)
    return report


def export_articles(*, kind: str = "json", include_unpublished: bool = False) -> str:
    """The public knowledge base (or every article) in the import format."""
    articles = Article.objects.order_by("external_id")
    if not include_unpublished:
        articles = articles.filter(status=Article.Status.PUBLISHED, audience=Article.Audience.PUBLIC)
    rows = [
        {
            "id": a.external_id,
            "lang": a.language,
            "question": a.question,
            "answer": a.answer,
            "tags": list(a.tags),
            "phrasings": list(a.phrasings),
            "category": a.category,
        }
        for a in articles
    ]
    if kind not in ("json", "csv"):
        raise InvalidInput(_("Export as json or csv."), field="format")
    return importing.dump(rows, kind=kind)


def _snapshot(article: Article, *, by: AgentProfile | None) -> None:
    ArticleVersion.objects.create(
        article=article,
        version=article.version,
        question=article.question,
        phrasings=article.phrasings,
        answer=article.answer,
        tags=article.tags,
        category=article.category,
        status=article.status,
        edited_by=by,
    )


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    cleaned = dict(values)
    if "question" in cleaned:
        question = str(cleaned["question"] or "").strip()
        if not question:
            raise InvalidInput(_("An article needs a question."), field="question")
        cleaned["question"] = question[:500]
    if "answer" in cleaned:
        answer = clean_answer(str(cleaned["answer"] or ""))
        if not answer:
            raise InvalidInput(_("An article needs an answer."), field="answer")
        cleaned["answer"] = answer
    if "language" in cleaned:
        language = importing.normalize_language(cleaned["language"])
        if language is None:
            raise InvalidInput(_("Language must be zh or en."), field="language")
        cleaned["language"] = language
    for name in ("phrasings", "tags"):
        if name in cleaned:
            items = cleaned[name] or []
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise InvalidInput(_("%(name)s must be a list of text.") % {"name": name}, field=name)
            cleaned[name] = [i.strip() for i in items if i.strip()]
    if "audience" in cleaned and cleaned["audience"] not in Article.Audience.values:
        raise InvalidInput(_("Unknown audience."), field="audience")
    return cleaned


def can_edit(agent: AgentProfile, article: Article) -> bool:
    if article.audience == Article.Audience.PERSONAL:
        return article.owner_id == agent.pk
    return agent.is_supervisor or article.owner_id == agent.pk or article.audience == Article.Audience.INTERNAL


def create_article(*, by: AgentProfile, now: datetime, **values: Any) -> Article:
    """A new article. Internal and personal notes are live at once; a public one starts as a draft
    and reaches the bot only after a supervisor approves it."""
    cleaned = _clean_values(values)
    if "question" not in cleaned or "answer" not in cleaned:
        raise InvalidInput(_("An article needs a question and an answer."))
    audience = cleaned.get("audience", Article.Audience.PUBLIC)
    status = Article.Status.DRAFT if audience == Article.Audience.PUBLIC else Article.Status.PUBLISHED
    with transaction.atomic():
        article = Article.objects.create(
            external_id=f"tmp-{now.timestamp()}",
            owner=by,
            status=status,
            published_at=None if status == Article.Status.DRAFT else now,
            **cleaned,
        )
        article.external_id = f"kb-{article.pk}"
        article.save(update_fields=["external_id"])
        _snapshot(article, by=by)
    return article


def update_article(*, article_id: int, by: AgentProfile, now: datetime, **values: Any) -> Article:
    """Edit an article (a new version). Editing a published public article as a non-supervisor sends it
    back to review, so the bot keeps answering with the approved version until then."""
    cleaned = _clean_values(values)
    with transaction.atomic():
        article = _locked(article_id)
        if not can_edit(by, article):
            raise Forbidden(_("You may not edit this article."))
        for name, value in cleaned.items():
            setattr(article, name, value)
        if article.audience == Article.Audience.PUBLIC and not by.is_supervisor and article.status == Article.Status.PUBLISHED:
            article.status = Article.Status.DRAFT
        article.version += 1
        article.save()
        _snapshot(article, by=by)
    return article


def submit_for_review(*, article_id: int, by: AgentProfile) -> Article:
    """A draft public article goes to the supervisors' review queue."""
    with transaction.atomic():
        article = _locked(article_id)
        if not can_edit(by, article):
            raise Forbidden(_("You may not edit this article."))
        if article.audience != Article.Audience.PUBLIC:
            raise InvalidInput(_("Only public articles are reviewed."), field="audience")
        # Review would take a published article away from the bot until it is approved again.
        if article.status == Article.Status.PUBLISHED:
            raise InvalidInput(_("This article is already published."), field="status")
        article.status = Article.Status.IN_REVIEW
        article.save(update_fields=["status", "updated_at"])
    return article


def review(*, article_id: int, by: AgentProfile, approve: bool, note: str = "", now: datetime) -> Article:
    """A supervisor publishes an article in review, or sends it back to its author with a note."""
    if not by.is_supervisor:
        raise Forbidden(_("Only supervisors approve articles."))
    with transaction.atomic():
        article = _locked(article_id)
        if article.status != Article.Status.IN_REVIEW:
            raise InvalidInput(_("This article is not in review."), field="status")
        article.review_note = note.strip()[:500]
        if approve:
            article.status, article.published_at = Article.Status.PUBLISHED, now
        else:
            article.status = Article.Status.DRAFT
        article.version += 1
        article.save()
        _snapshot(article, by=by)
    return article


def propose_article(
    *, by: AgentProfile, question: str, answer: str, language: str, source: str, now: datetime, tags: list[str] | None = None
) -> Article:
    """An agent proposes an FAQ from solved work (a ticket): straight into the review queue."""
    article = create_article(by=by, now=now, question=question, answer=answer, language=language, tags=tags or [])
    Article.objects.filter(pk=article.pk).update(status=Article.Status.IN_REVIEW, source=source[:100])
    article.refresh_from_db()
    return article


def _locked(article_id: int) -> Article:
    article = Article.objects.select_for_update().filter(pk=article_id).first()
    if article is None:
        raise NotFound(_("No such article."))
    return article


def record_turn(
    *,
    question: str,
    language: str,
    action: str,
    reason: str = "",
    article_id: int | None = None,
    score: float = 0.0,
    candidates: list[dict[str, Any]] | None = None,
    sentiment: float = 0.0,
    conversation_id: int | None = None,
) -> BotTurn:
    """Log what the bot was asked and did; an answer counts as one showing of its article."""
    turn = BotTurn.objects.create(
        conversation_id=conversation_id,
        question=question[:2000],
        language=language,
        action=action,
        reason=reason,
        article_id=article_id,
        score=round(score, 4),
        candidates=candidates or [],
        sentiment=sentiment,
    )
    if article_id is not None and action == BotTurn.Action.ANSWER:
        Article.objects.filter(pk=article_id).update(shown_count=F("shown_count") + 1)
    return turn


def record_feedback(*, turn_id: int, helpful: bool, conversation_id: int | None = None) -> BotTurn:
    """'Did this help?' answered. Only the first answer counts (a second click changes nothing).
    ``conversation_id`` guards against a visitor rating another conversation's turn."""
    with transaction.atomic():
        query = BotTurn.objects.select_for_update().filter(pk=turn_id, action=BotTurn.Action.ANSWER)
        if conversation_id is not None:
            query = query.filter(conversation_id=conversation_id)
        turn = query.first()
        if turn is None:
            raise NotFound(_("No such answer."))
        if turn.helpful is not None:
            return turn
        turn.helpful = helpful
        turn.save(update_fields=["helpful"])
        if turn.article_id is not None:
            counter = "helpful_count" if helpful else "not_helpful_count"
            Article.objects.filter(pk=turn.article_id).update(**{counter: F(counter) + 1})
    return turn
