"""The search column: words and CJK bigrams, and how a query matches it."""

from __future__ import annotations

from tickets import search


def test_chinese_text_becomes_overlapping_bigrams_and_latin_text_lower_case_words() -> None:
    assert search.tokens("水费太高 Refund") == ["水费", "费太", "太高", "refund"]


def test_a_lone_chinese_character_is_kept_as_a_token() -> None:
    assert search.tokens("水 bill") == ["水", "bill"]


def test_merge_adds_only_new_tokens_and_pads_with_spaces() -> None:
    text = search.build("水费 bill")
    assert text == " 水费 bill "
    assert search.merge(text, "bill 水费 refund") == " 水费 bill refund "


def test_a_query_without_any_word_matches_nothing() -> None:
    assert search.matches("!!! ...") is None
