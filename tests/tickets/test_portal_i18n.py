"""The portal and the web form speak zh-hans: every string of theirs in the tickets catalog is translated."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

CATALOG = Path(__file__).resolve().parents[2] / "tickets" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PORTAL_FILES = ("tickets/portal/", "tickets/templates/tickets/portal/", "tickets/services/portal.py")


def _unquote(lines: list[str]) -> str:
    return "".join(re.sub(r"\\(.)", r"\1", line.strip()[1:-1]) for line in lines)


def _portal_entries() -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of every catalog entry used by a portal file."""
    found = []
    for block in CATALOG.read_text(encoding="utf-8").split("\n\n"):
        lines = block.strip().splitlines()
        places = " ".join(line for line in lines if line.startswith("#:"))
        if not any(name in places for name in PORTAL_FILES):
            continue
        parts: dict[str, list[str]] = {"msgid": [], "msgstr": []}
        current = None
        for line in lines:
            if line.startswith(("msgid ", "msgstr ")):
                current, _, rest = line.partition(" ")
                parts[current].append(rest)
            elif line.startswith('"') and current:
                parts[current].append(line)
        found.append((_unquote(parts["msgid"]), _unquote(parts["msgstr"]), "fuzzy" in block.split("msgid")[0]))
    return found


def test_every_portal_string_is_translated() -> None:
    entries = _portal_entries()
    assert len(entries) > 50, "the catalog lost the portal's strings (run makemessages)"
    assert [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy] == []


def test_the_sign_in_page_strings_come_in_chinese() -> None:
    with translation.override("zh-hans"):
        assert translation.gettext("Send me a sign-in link") == "发送登录链接"
        assert translation.gettext("This sign-in link is not valid any more. Ask for a new one.") == "此登录链接已失效，请重新申请。"
