"""Every message of tickets/csat has zh-hans, and the rating page speaks it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

APP = Path(__file__).resolve().parents[3] / "tickets" / "csat"
CALL = re.compile(r"""\b_\(\s*"((?:[^"\\]|\\.)+)"\s*\)""")


def test_every_csat_message_is_translated() -> None:
    used: set[str] = set()
    for path in APP.glob("*.py"):
        used |= set(CALL.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 40, "the extraction pattern found too little"
    with translation.override("zh-hans"):
        assert sorted(text for text in used if gettext(text) == text) == []


@pytest.mark.django_db
def test_the_rating_page_in_chinese(solved: Any) -> None:
    from tickets.csat import services

    ticket = solved()
    page = Client(headers={"accept-language": "zh-hans"}).get(services.rating_path(ticket_id=ticket.pk))
    text = page.content.decode()
    assert "您对我们的服务满意吗？" in text and "非常满意" in text and "您的评分" in text
