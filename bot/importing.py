"""Reading and writing knowledge-base files: JSON (an object with ``articles`` or a bare list) or CSV,
rows of ``id, lang, question, answer, tags`` (more keys are ignored). Parsing is all-or-nothing: a
malformed file raises before anything is written; rows with a bad field are rejected one by one."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from contactcenter.core.errors import InvalidInput

REQUIRED = ("id", "lang", "question", "answer")
MAX_FILE_BYTES = 20 * 1024 * 1024
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
_LANGUAGES = {
    "zh": "zh",
    "zh-hans": "zh",
    "zh-cn": "zh",
    "zh_cn": "zh",
    "cn": "zh",
    "en": "en",
    "en-us": "en",
    "en-gb": "en",
    "en_us": "en",
}


def normalize_language(value: Any) -> str | None:
    """'zh', 'zh-CN', 'zh-hans' → 'zh'; 'en', 'en-US' → 'en'; anything else None."""
    return _LANGUAGES.get(str(value).strip().lower()) if isinstance(value, str) else None


@dataclass(frozen=True)
class ArticleRow:
    external_id: str
    language: str
    question: str
    answer: str
    tags: list[str]
    phrasings: list[str]
    category: str


@dataclass
class ParsedFile:
    rows: list[ArticleRow] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {"row", "id", "reason"}


def parse(data: bytes, *, filename: str = "") -> ParsedFile:
    """Parse and check every row; raises InvalidInput when the file as a whole cannot be read."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.", reason="too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"The file is not UTF-8 text (byte {error.start}).", reason="encoding") from error
    kind = _kind(text, filename)
    records = _json_records(text) if kind == "json" else _csv_records(text)
    parsed = ParsedFile()
    seen: dict[str, int] = {}
    for number, record in enumerate(records, start=1):
        row, reason = _check(record)
        record_id = str(record.get("id", "")) if isinstance(record, dict) else ""
        if row is None:
            parsed.rejected.append({"row": number, "id": record_id, "reason": reason})
            continue
        if row.external_id in seen:
            parsed.rejected.append(
                {"row": number, "id": row.external_id, "reason": f"duplicate id in the file (first on row {seen[row.external_id]})"}
            )
            continue
        seen[row.external_id] = number
        parsed.rows.append(row)
    return parsed


def _kind(text: str, filename: str) -> str:
    lower = filename.lower()
    if lower.endswith((".json", ".jsonl")):
        return "json"
    if lower.endswith(".csv"):
        return "csv"
    return "json" if text.lstrip()[:1] in ("{", "[") else "csv"


def _json_records(text: str) -> list[Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"The file is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}.", reason="malformed"
        ) from error
    if isinstance(document, dict):
        if "articles" not in document:
            raise InvalidInput('A JSON object must have an "articles" list.', reason="malformed")
        document = document["articles"]
    if not isinstance(document, list):
        raise InvalidInput('Expected a list of articles (or an object with an "articles" list).', reason="malformed")
    return document


def _csv_records(text: str) -> list[Any]:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = [name.strip().lower() for name in (reader.fieldnames or [])]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise InvalidInput(f"The CSV header lacks the column(s): {', '.join(missing)}.", reason="malformed")
        reader.fieldnames = header
        records: list[Any] = []
        for record in reader:
            if None in record:  # more cells than columns
                raise InvalidInput(f"Row {reader.line_num - 1} has more cells than the header.", reason="malformed")
            tags = record.get("tags") or ""
            record["tags"] = [t.strip() for t in re.split(r"[,;|，；]", tags) if t.strip()]
            if record.get("phrasings"):
                record["phrasings"] = [p.strip() for p in record["phrasings"].split("|") if p.strip()]
            records.append(record)
        return records
    except csv.Error as error:
        raise InvalidInput(f"The file is not valid CSV: {error}.", reason="malformed") from error


def _text_list(value: Any, *, name: str) -> list[str] | str:
    if value is None or value == "":
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return f"'{name}' must be a list of strings"
    return [item.strip()[: 100 if name == "tags" else 500] for item in value if item.strip()]


def _check(record: Any) -> tuple[ArticleRow | None, str]:
    if not isinstance(record, dict):
        return None, "not an object"
    for name in REQUIRED:
        value = record.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None, f"missing field '{name}'"
        if not isinstance(value, str):
            return None, f"'{name}' must be text"
    external_id = record["id"].strip()
    if not ID_RE.match(external_id):
        return None, "bad id (letters, digits and _ . : - only, at most 100)"
    language = normalize_language(record["lang"])
    if language is None:
        return None, f"bad language {record['lang']!r} (use zh or en)"
    question = record["question"].strip()
    if len(question) > 500:
        return None, "question longer than 500 characters"
    tags = _text_list(record.get("tags"), name="tags")
    if isinstance(tags, str):
        return None, tags
    phrasings = _text_list(record.get("phrasings"), name="phrasings")
    if isinstance(phrasings, str):
        return None, phrasings
    category = record.get("category") or ""
    if not isinstance(category, str):
        return None, "'category' must be text"
    return ArticleRow(external_id, language, question, record["answer"].strip(), tags, phrasings, category.strip()[:100]), ""


def dump(rows: list[dict[str, Any]], *, kind: str) -> str:
    """Rows (dicts with id, lang, question, answer, tags, phrasings, category) as JSON or CSV text."""
    if kind == "json":
        return json.dumps({"articles": rows}, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["id", "lang", "question", "answer", "tags", "phrasings", "category"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "tags": ",".join(row["tags"]), "phrasings": "|".join(row["phrasings"])})
    return out.getvalue()
