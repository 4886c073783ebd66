"""Suggested labels from the knowledge base's tags and categories, and the negative-sentiment flag."""

from __future__ import annotations

import pytest

from bot.classify import LabelClassifier, insight
from bot.models import Article
from bot.selectors import text_insight

EXAMPLES = [
    ("网速很慢 视频卡顿 测速低", "宽带"),
    ("宽带断网了 光猫红灯", "宽带"),
    ("WiFi密码忘了 路由器", "宽带"),
    ("账单 月租 扣费", "账单"),
    ("开发票 电子发票", "账单"),
    ("课程退款 退钱", "课程"),
    ("怎么报名课程 购买课程", "课程"),
    ("my internet is slow", "broadband"),
    ("the router wifi password", "broadband"),
    ("my bill is too high", "billing"),
    ("pay my invoice by card", "billing"),
]


def test_the_label_of_a_known_topic_is_suggested_first() -> None:
    model = LabelClassifier(EXAMPLES)
    assert model.suggest("光猫一直亮红灯,上不了网")[0].label == "宽带"
    assert model.suggest("why is my bill so high this month")[0].label == "billing"
    assert model.suggest("课程可以退款吗")[0].label == "课程"


def test_nothing_is_suggested_for_text_no_label_has_seen() -> None:
    assert LabelClassifier(EXAMPLES).suggest("zebra giraffe") == []


def test_one_label_alone_is_no_suggestion() -> None:
    assert LabelClassifier([("a b c", "only")]).suggest("a b c") == []


def test_one_angry_message_flags_the_whole_conversation_negative() -> None:
    found = insight(["你好", "你们的服务太差了,我要投诉!!!"], None)
    assert found.negative and found.sentiment <= -0.5
    assert not insight(["你好", "谢谢"], None).negative


@pytest.mark.django_db
def test_the_knowledge_base_trains_the_suggestions(sample_kb) -> None:
    found = text_insight(["宽带突然断网了,光猫红灯在闪"])
    assert found.labels and found.labels[0].label in ("宽带", "故障")
    Article.objects.filter(tags__icontains="宽带").update(tags=["网络"], version=99)
    assert text_insight(["宽带突然断网了,光猫红灯在闪"]).labels[0].label in ("网络", "故障")
