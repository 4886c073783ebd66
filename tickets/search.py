"""The search column: words and CJK bigrams of a ticket's public text, and how queries match it.

Why not PostgreSQL full-text search: its parsers (``simple``, ``english``) do not segment Chinese,
and a segmenting extension (zhparser, pg_jieba) is not in stock PostgreSQL. Instead every ticket
keeps ``search_text``: the distinct lower-cased Latin/digit words and the overlapping two-character
sequences (bigrams) of every run of CJK characters, space separated, from the subject, description
and public replies (never internal notes: the same column answers customers). A query is tokenised
the same way and every token must occur: a word as a prefix (`` refund`` matches "refunds"), a
bigram exactly, a lone CJK character anywhere. That is plain ``LIKE '%...%'`` on both databases;
on PostgreSQL a ``pg_trgm`` GIN index on the column (migration 0002) serves those LIKEs, so the
same SQL stays fast at 100,000 tickets. SQLite scans, which is fine for the embedded demo.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db.models import Q

# CJK unified ideographs (+ extension A), kana, hangul: scripts written without spaces.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_TOKENS = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+", re.UNICODE)
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")
MAX_TOKENS = 4000
MAX_QUERY_TOKENS = 12


def tokens(text: str) -> list[str]:
    """Words and CJK bigrams of ``text`` in order of appearance, each once."""
    seen: dict[str, None] = {}
    for run in _TOKENS.findall(text.lower()):
        if _CJK_RUN.match(run):
            if len(run) == 1:
                seen.setdefault(run, None)
            for i in range(len(run) - 1):
                seen.setdefault(run[i : i + 2], None)
        else:
            seen.setdefault(run, None)
    return list(seen)


def build(*texts: str) -> str:
    return merge("", *texts)


def merge(existing: str, *texts: str) -> str:
    """``existing`` search text with the tokens of ``texts`` added; bounded so a long thread stays small."""
    known = dict.fromkeys(existing.split())
    for text in texts:
        for token in tokens(text):
            if len(known) >= MAX_TOKENS:
                break
            known.setdefault(token, None)
    return f" {' '.join(known)} " if known else ""


def query_tokens(query: str) -> list[str]:
    return tokens(query)[:MAX_QUERY_TOKENS]


def token_q(token: str, *, field: str = "search_text") -> Q:
    """How one query token matches the column (see the module docstring)."""
    if _CJK_RUN.match(token):
        if len(token) == 1:
            return Q(**{f"{field}__contains": token})
        return Q(**{f"{field}__contains": f" {token} "})
    return Q(**{f"{field}__contains": f" {token}"})


def matches(query: str, *, field: str = "search_text") -> Q | None:
    """Every token of the query must occur; None for a query without any token."""
    found = query_tokens(query)
    if not found:
        return None
    condition = Q()
    for token in found:
        condition &= token_q(token, field=field)
    return condition


def any_of(found: Iterable[str], *, field: str = "search_text") -> Q:
    condition = Q()
    for token in found:
        condition |= token_q(token, field=field)
    return condition
