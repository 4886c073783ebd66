"""Bot fixtures: the sample knowledge base imported, and a fresh process index per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "fixtures" / "faq_sample.json"


@pytest.fixture(autouse=True)
def _fresh_index(settings: Any) -> Any:
    from bot import knowledge

    settings.CC_BOT_INDEX_CHECK_S = 0  # every ask sees the database as it is now
    knowledge.use_encoder(None)
    yield
    knowledge.use_encoder(None)


@pytest.fixture
def sample_kb(db: Any) -> Any:
    from django.utils import timezone

    from bot.services import import_articles

    return import_articles(data=SAMPLE.read_bytes(), filename="faq_sample.json", now=timezone.now())
