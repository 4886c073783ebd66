"""Agents' knowledge-base search: whole tags, and fuzzy matches that are about the question."""

from __future__ import annotations

import pytest

from bot.selectors import search_articles
from tests.factories import AgentFactory, ArticleFactory

pytestmark = pytest.mark.django_db


def test_a_tag_filter_matches_whole_tags_only() -> None:
    agent = AgentFactory()
    billing = ArticleFactory(tags=["billing"])
    bill = ArticleFactory(tags=["bill", "账单"])
    assert search_articles(agent, tag="bill") == [bill]
    assert search_articles(agent, tag="BILLING") == [billing]
    assert search_articles(agent, tag="账单") == [bill]


def test_fuzzy_search_finds_the_question_in_other_words_and_leaves_unrelated_ones_out() -> None:
    agent = AgentFactory()
    pay = ArticleFactory(question="How can I pay my bill?", answer="By card or bank transfer.")
    ArticleFactory(question="How do I enrol in a course?", answer="Open the course page and press Enrol.")
    ArticleFactory(question="Do I get a certificate?", answer="Yes, after the final test.")
    assert search_articles(agent, text="paying the bill") == [pay]


def test_fuzzy_search_tolerates_word_order_and_a_typo_in_chinese() -> None:
    agent = AgentFactory()
    slow = ArticleFactory(language="zh", question="网速很慢怎么办?", answer="请重启光猫。")
    ArticleFactory(language="zh", question="怎么开发票?", answer="在账户页申请。")
    assert search_articles(agent, text="很慢的网速") == [slow]
