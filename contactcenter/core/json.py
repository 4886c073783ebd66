"""Compact JSON for frames (UTF-8 kept as is: Chinese text is not escaped)."""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
