"""The desk speaks zh-hans: verbose names, default stages and error messages."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from contactcenter.core.errors import InvalidInput
from tickets.models import Ticket


def test_verbose_names_are_translated() -> None:
    with translation.override("zh-hans"):
        assert str(Ticket._meta.verbose_name) == "工单"
        assert str(Ticket._meta.get_field("assignee").verbose_name) == "负责坐席"


def test_a_team_made_under_chinese_gets_chinese_default_stages(make_ticket: Any, team: Any) -> None:
    with translation.override("zh-hans"):
        make_ticket()
    assert list(team.ticket_stages.order_by("position").values_list("name", flat=True)) == ["新建", "处理中", "已解决", "已关闭"]


def test_errors_come_in_chinese(make_ticket: Any) -> None:
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as caught:
        make_ticket(subject="")
    assert caught.value.message == "请填写工单主题。"
