"""The retrieval index over published articles: sentence embeddings (meaning, across languages)
plus keyword scoring (exact words, short queries). Pure Python and numpy; the database side is
bot.knowledge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.retrieval.encoder import Encoder, Vectors
from bot.retrieval.keyword import KeywordIndex

# How much the keyword side adds to the embedding similarity: the share of the question's idf
# weight found in the article ([0, 1], the same scale for every knowledge base) lifts exact and
# short matches. A squashed BM25 term on top changed nothing on our held-out sets, so BM25 only
# orders the keyword hits.
COVERAGE_WEIGHT = 0.12
# An article in the asker's language wins a near tie against its translation (bilingual knowledge
# bases keep both; an English visitor should get the English one).
SAME_LANGUAGE_BONUS = 0.05
# The start of an answer says what it is about; the rest only costs encoding time.
ANSWER_CHARS_EMBEDDED = 300


@dataclass(frozen=True)
class IndexedArticle:
    pk: int
    external_id: str
    language: str
    question: str
    phrasings: tuple[str, ...]
    answer_text: str
    tags: tuple[str, ...]
    team_id: int | None
    version: int

    def semantic_texts(self) -> list[str]:
        """What is embedded: the question with its answer (better than the question alone on our
        held-out set), and each phrasing on its own."""
        return [f"{self.question} {self.answer_text[:ANSWER_CHARS_EMBEDDED]}", *self.phrasings]


@dataclass(frozen=True)
class Candidate:
    article: IndexedArticle
    score: float
    semantic: float
    coverage: float
    bm25: float


class KnowledgeIndex:
    def __init__(self, articles: Sequence[IndexedArticle], vectors: Sequence[Vectors], encoder: Encoder) -> None:
        """``vectors[i]`` holds the rows for ``articles[i].semantic_texts()``."""
        self.articles = list(articles)
        self.encoder = encoder
        self._rows = np.vstack(vectors) if vectors else np.zeros((0, encoder.dimensions), dtype=np.float32)
        self._row_article = (
            np.concatenate([np.full(len(v), i, dtype=np.int32) for i, v in enumerate(vectors)]) if vectors else np.zeros(0, np.int32)
        )
        docs: list[tuple[int, str, bool]] = []
        for i, article in enumerate(self.articles):
            docs.append((i, article.question, False))
            docs.extend((i, phrasing, False) for phrasing in article.phrasings)
            docs.append((i, f"{article.question} {article.answer_text} {' '.join(article.tags)}", True))
        self.keywords = KeywordIndex(docs)
        self._team = np.array([-1 if a.team_id is None else a.team_id for a in self.articles], dtype=np.int64)
        self._language = np.array([a.language for a in self.articles])

    def __len__(self) -> int:
        return len(self.articles)

    def search(self, question: str, *, language: str | None = None, team_id: int | None = None, limit: int = 5) -> list[Candidate]:
        if not self.articles or not question.strip():
            return []
        query = self.encoder.encode([question])[0]
        similarity = self._rows @ query
        semantic = np.full(len(self.articles), -1.0, dtype=np.float32)
        np.maximum.at(semantic, self._row_article, similarity)
        coverage = np.zeros(len(self.articles), dtype=np.float32)
        bm25 = np.zeros(len(self.articles), dtype=np.float32)
        for hit in self.keywords.search(question, limit=50):
            coverage[hit.index], bm25[hit.index] = hit.coverage, hit.bm25
        score = semantic + COVERAGE_WEIGHT * coverage
        if language:
            score = score + SAME_LANGUAGE_BONUS * (self._language == language)
        if team_id is not None:
            score = np.where((self._team == -1) | (self._team == team_id), score, -np.inf)
        count = min(limit, len(score))
        top = np.argpartition(-score, count - 1)[:count]
        top = top[np.argsort(-score[top], kind="stable")]
        return [
            Candidate(self.articles[i], float(score[i]), float(semantic[i]), float(coverage[i]), float(bm25[i]))
            for i in top
            if np.isfinite(score[i])
        ]
