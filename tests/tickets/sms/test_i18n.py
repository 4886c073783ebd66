"""The SMS channel speaks zh-hans: every message its code can show is in the tickets catalog, translated."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext

from tickets.sms.models import OutboundSms

ROOT = Path(__file__).resolve().parents[3]
CALL = re.compile(r"\b_\(\s*\"((?:[^\"\\]|\\.)*)\"")


def test_every_sms_message_is_translated() -> None:
    used: set[str] = set()
    for path in (ROOT / "tickets" / "sms").glob("*.py"):
        used |= set(CALL.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 10, "the extraction pattern found too little"
    with translation.override("zh-hans"):
        untranslated = sorted(text for text in used if gettext(text) == text)
        assert untranslated == []
        assert str(OutboundSms._meta.verbose_name) == "待发短信"
