"""Ticket automation speaks zh-hans: every message its code can show is in the tickets catalog, translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

from contactcenter.core.staff.models import AgentProfile
from tests.tickets.conftest import T0
from tickets.automation import services
from tickets.automation.models import Rule
from tickets.automation.rendering import TemplateInvalid

ROOT = Path(__file__).resolve().parents[3]
CALL = re.compile(r"\b_\(\s*\"((?:[^\"\\]|\\.)*)\"")


def test_every_automation_message_is_translated() -> None:
    used: set[str] = set()
    for path in (ROOT / "tickets" / "automation").glob("*.py"):
        used |= {m.encode().decode("unicode_escape").replace("\\'", "'") for m in CALL.findall(path.read_text(encoding="utf-8"))}
    assert used, "the extraction pattern found nothing"
    same_in_both = {"URL"}
    with translation.override("zh-hans"):
        untranslated = sorted(text for text in used - same_in_both if gettext(text) == text)
    assert untranslated == []
    with translation.override("zh-hans"):
        assert str(Rule._meta.verbose_name) == "自动化规则"


@pytest.mark.django_db
def test_a_refused_template_is_explained_in_chinese(supervisor: AgentProfile) -> None:
    with translation.override("zh-hans"), pytest.raises(TemplateInvalid) as caught:
        services.save_template(actor=supervisor, now=T0, data={"name": "坏模板", "kind": "reply", "body": "${ticket.secret}"})
    assert caught.value.message == "模板使用了不允许的字段或语法。"
