"""Every string of tickets/sla and of the calendar exceptions reads in Chinese."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[3]
FILES = [*sorted((ROOT / "tickets" / "sla").glob("*.py")), ROOT / "contactcenter" / "core" / "staff" / "models.py"]


def msgids(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        named = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "gettext", "gettext_lazy")
        if named and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.append(node.args[0].value)
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_string_has_a_zh_hans_translation(path: Path) -> None:
    with translation.override("zh-hans"):
        untranslated = [m for m in msgids(path) if translation.gettext(m) == m]
    assert untranslated == []


def test_a_breach_entry_reads_in_chinese() -> None:
    from tickets.sla.services import _message

    with translation.override("zh-hans"):
        assert _message("first_response", "breach") == "SLA 超时：首次响应已逾期。"
