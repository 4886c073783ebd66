"""The process's retrieval index over the database's published public articles.

Every process keeps its own index and checks at most once a second (``CC_BOT_INDEX_CHECK_S``)
whether the knowledge base changed (one aggregate query), so an edit in the admin reaches the bot
on every node within a second, without a restart. Rebuilding re-embeds only articles whose
version changed: at 10,000 articles an edit costs one encode, not ten thousand."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count, Max, QuerySet, Sum

from bot.classify import LabelClassifier
from bot.models import Article, ArticleEmbedding
from bot.retrieval.encoder import Encoder, Vectors, default_encoder
from bot.retrieval.index import IndexedArticle, KnowledgeIndex
from bot.sanitize import plain_text

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_state: dict[str, Any] = {"index": None, "stamp": None, "checked": 0.0, "encoder": None}
_vectors: dict[tuple[int, int], Vectors] = {}


def answerable() -> QuerySet[Article]:
    return Article.objects.filter(status=Article.Status.PUBLISHED, audience=Article.Audience.PUBLIC)


def _stamp() -> tuple[Any, ...]:
    row = answerable().aggregate(n=Count("id"), latest=Max("updated_at"), versions=Sum("version"))
    return (row["n"], row["latest"], row["versions"])


def current_index(*, encoder: Encoder | None = None) -> KnowledgeIndex:
    """The index as of at most ``CC_BOT_INDEX_CHECK_S`` ago."""
    encoder = encoder or _state["encoder"] or default_encoder()
    now = time.monotonic()
    index = _state["index"]
    if index is not None and index.encoder is encoder and now - _state["checked"] < settings.CC_BOT_INDEX_CHECK_S:
        return index  # type: ignore[no-any-return]
    with _lock:
        stamp = _stamp()
        index = _state["index"]
        if index is None or index.encoder is not encoder or stamp != _state["stamp"]:
            index = build_index(encoder)
            _state.update(index=index, stamp=stamp)
        _state["checked"] = time.monotonic()
        return index  # type: ignore[no-any-return]


_classifier: dict[str, Any] = {"model": None, "stamp": None, "checked": 0.0}


def current_classifier() -> LabelClassifier:
    """A label classifier trained on the published articles' tags and categories (rebuilt when they
    change, checked at most every CC_BOT_INDEX_CHECK_S). The ticket desk will add its own history."""
    now = time.monotonic()
    model = _classifier["model"]
    if model is not None and now - _classifier["checked"] < settings.CC_BOT_INDEX_CHECK_S:
        return model  # type: ignore[no-any-return]
    published = Article.objects.filter(status=Article.Status.PUBLISHED)
    row = published.aggregate(n=Count("id"), latest=Max("updated_at"), versions=Sum("version"))
    stamp = (row["n"], row["latest"], row["versions"])
    if model is None or stamp != _classifier["stamp"]:
        examples: list[tuple[str, str]] = []
        for question, phrasings, tags, category in published.values_list("question", "phrasings", "tags", "category"):
            text = " ".join([question, *[p for p in phrasings if isinstance(p, str)]])
            examples.extend((text, tag) for tag in tags if isinstance(tag, str))
            if category:
                examples.append((text, category))
        model = LabelClassifier(examples)
        _classifier.update(model=model, stamp=stamp)
    _classifier["checked"] = time.monotonic()
    return model  # type: ignore[no-any-return]


def warm_up_in_background() -> threading.Thread:
    """Load the model and build the index in a thread at server start, so that the first visitor's
    question is not the one that waits for it (a second or two, more with a large KB)."""

    def run() -> None:
        from django.db import close_old_connections

        try:
            if answerable().exists():
                current_index()
        except Exception:
            logger.exception("warming up the FAQ index failed; the first question will build it")
        finally:
            close_old_connections()

    thread = threading.Thread(target=run, name="faq-index-warm-up", daemon=True)
    thread.start()
    return thread


def use_encoder(encoder: Encoder | None) -> None:
    """Swap the process's encoder (tests and the benchmark); None goes back to the default."""
    with _lock:
        _state.update(encoder=encoder, index=None, stamp=None)
        _vectors.clear()


def build_index(encoder: Encoder) -> KnowledgeIndex:
    articles = [
        IndexedArticle(
            pk=a.pk,
            external_id=a.external_id,
            language=a.language,
            question=a.question,
            phrasings=tuple(p for p in a.phrasings if isinstance(p, str)),
            answer_text=plain_text(a.answer),
            tags=tuple(t for t in a.tags if isinstance(t, str)),
            team_id=a.team_id,
            version=a.version,
        )
        for a in answerable()
        .order_by("id")
        .only("id", "external_id", "language", "question", "phrasings", "answer", "tags", "team_id", "version")
    ]
    missing = [a for a in articles if (a.pk, a.version) not in _vectors]
    if missing:
        _load_stored(missing, encoder)
        missing = [a for a in missing if (a.pk, a.version) not in _vectors]
    if missing:
        _encode_and_store(missing, encoder)
    live = {(a.pk, a.version) for a in articles}
    for key in [k for k in _vectors if k not in live]:
        del _vectors[key]
    return KnowledgeIndex(articles, [_vectors[(a.pk, a.version)] for a in articles], encoder)


def _load_stored(articles: list[IndexedArticle], encoder: Encoder) -> None:
    wanted = {(a.pk, a.version): len(a.semantic_texts()) for a in articles}
    for start in range(0, len(articles), 500):
        chunk = articles[start : start + 500]
        stored = ArticleEmbedding.objects.filter(model=encoder.name, article_id__in=[a.pk for a in chunk]).values_list(
            "article_id", "version", "rows", "vectors"
        )
        for article_id, version, rows, blob in stored:
            key = (article_id, version)
            if wanted.get(key) != rows:
                continue  # another version, or the phrasings changed without a new version
            vectors = np.frombuffer(bytes(blob), dtype=np.float32)
            if vectors.size == rows * encoder.dimensions:
                _vectors[key] = vectors.reshape(rows, encoder.dimensions)


def _encode_and_store(articles: list[IndexedArticle], encoder: Encoder) -> None:
    texts = [text for a in articles for text in a.semantic_texts()]
    encoded = encoder.encode(texts)
    start = 0
    rows = []
    for article in articles:
        count = len(article.semantic_texts())
        vectors = encoded[start : start + count]
        start += count
        _vectors[(article.pk, article.version)] = vectors
        rows.append(
            ArticleEmbedding(article_id=article.pk, version=article.version, model=encoder.name, rows=count, vectors=vectors.tobytes())
        )
    # Two processes may encode the same new article at once: the second insert is ignored.
    ArticleEmbedding.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    ArticleEmbedding.objects.filter(article_id__in=[a.pk for a in articles], model=encoder.name).exclude(
        version__in={a.version for a in articles}
    ).delete()
