"""Keyword scoring (BM25 over bot.retrieval.text tokens) for short and exact queries.

Each article is indexed as several documents (its question, each phrasing, and a long one with
the answer and tags); the article scores as its best document. Besides the unbounded BM25 score,
``coverage`` tells what share of the query's weight (idf) the best document contains: a number in
[0, 1] that means the same for every knowledge base, so thresholds can be set on it."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.retrieval.text import tokens

K1 = 1.2
B = 0.75
# The long document (answer and tags) counts for less than a question or phrasing that matches.
LONG_DOC_WEIGHT = 0.6


@dataclass(frozen=True)
class KeywordHit:
    index: int  # position of the article in the index
    bm25: float
    coverage: float


class KeywordIndex:
    """Postings as numpy arrays with the BM25 contribution of each (document, term) computed at
    build time, so a question costs a few ``bincount`` calls, not a Python loop over postings."""

    def __init__(self, docs: Sequence[tuple[int, str, bool]]) -> None:
        """``docs``: (article position, text, is_long) triples, grouped by article position."""
        doc_article: list[int] = []
        doc_weight: list[float] = []
        doc_len: list[int] = []
        raw: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for doc_id, (article, text, is_long) in enumerate(docs):
            counts = Counter(tokens(text))
            doc_article.append(article)
            doc_weight.append(LONG_DOC_WEIGHT if is_long else 1.0)
            doc_len.append(sum(counts.values()))
            for term, tf in counts.items():
                ids, tfs = raw[term]
                ids.append(doc_id)
                tfs.append(tf)
        n = max(1, len(doc_len))
        lengths = np.asarray(doc_len, dtype=np.float32)
        norm = K1 * (1 - B + B * lengths / ((lengths.sum() / n) or 1.0))
        self._weight = np.asarray(doc_weight, dtype=np.float32)
        self._doc_article = np.asarray(doc_article, dtype=np.int64)
        self._articles = int(self._doc_article.max()) + 1 if doc_article else 0
        self._idf: dict[str, float] = {}
        self._postings: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]] = {}
        for term, (ids, tfs) in raw.items():
            idf = math.log(1 + (n - len(ids) + 0.5) / (len(ids) + 0.5))
            doc_ids = np.asarray(ids, dtype=np.int64)
            frequency = np.asarray(tfs, dtype=np.float32)
            self._idf[term] = idf
            self._postings[term] = (doc_ids, (idf * frequency * (K1 + 1) / (frequency + norm[doc_ids])).astype(np.float32))
        self._unseen_idf = math.log(1 + (n + 0.5) / 0.5)
        self._docs = n

    def search(self, query: str, *, limit: int = 10) -> list[KeywordHit]:
        query_terms = Counter(tokens(query))
        if not query_terms or not self._postings:
            return []
        total_weight = sum(self._idf.get(t, self._unseen_idf) * c for t, c in query_terms.items())
        bm25 = np.zeros(self._docs, dtype=np.float64)
        covered = np.zeros(self._docs, dtype=np.float64)
        for term, qtf in query_terms.items():
            posting = self._postings.get(term)
            if posting is None:
                continue
            doc_ids, contribution = posting
            bm25[doc_ids] += qtf * contribution
            covered[doc_ids] += qtf * self._idf[term]
        bm25 *= self._weight
        covered *= self._weight / total_weight
        article_bm25 = np.zeros(self._articles, dtype=np.float64)
        article_cov = np.zeros(self._articles, dtype=np.float64)
        np.maximum.at(article_bm25, self._doc_article, bm25)
        np.maximum.at(article_cov, self._doc_article, covered)
        hit = np.flatnonzero(article_bm25 > 0)
        if len(hit) > limit:
            hit = hit[np.argpartition(-article_bm25[hit], limit - 1)[:limit]]
        order = sorted(hit.tolist(), key=lambda i: (-article_bm25[i], i))
        return [KeywordHit(i, float(article_bm25[i]), float(article_cov[i])) for i in order]
