"""The WeChat channel speaks zh-hans: its catalog is complete and every message its code shows is in it."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext

from chat.wechat import inbound

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "chat" / "wechat" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# One-line _("...") calls (longer messages are checked through the catalog below).
CALL = re.compile(r"\b_\(\s*\"((?:[^\"\\]|\\.)*)\"\s*[)%]")


def test_every_entry_of_the_catalog_has_a_translation() -> None:
    blocks = [
        b for b in PO.read_text(encoding="utf-8").split("\n\n") if 'msgid "' in b and not b.lstrip().startswith('msgid ""\nmsgstr ""\n"')
    ]
    empty = [b for b in blocks if re.search(r'^msgstr ""\s*$', b, re.MULTILINE) and not re.search(r'^msgstr ""\n"', b, re.MULTILINE)]
    assert blocks and empty == []
    assert "#, fuzzy" not in "\n\n".join(blocks)


def test_every_one_line_message_of_the_code_is_translated() -> None:
    used: set[str] = set()
    for path in (ROOT / "chat" / "wechat").glob("*.py"):
        used |= set(CALL.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 20, "the extraction pattern found too little"
    same_in_both = {"OpenID"}
    with translation.override("zh-hans"):
        assert sorted(text for text in used - same_in_both if gettext(text) == text) == []


def test_a_voice_message_without_recognition_reads_in_chinese() -> None:
    with translation.override("zh-hans"):
        assert inbound.readable_text({"MsgType": "voice", "MediaId": "m"}) == "[语音]"
