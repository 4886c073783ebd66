"""Answers are rich text: sanitised on the way in (nh3, Ammonia's allow-list), plain text for chat."""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "code", "pre", "blockquote", "h3", "h4"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}

_BLOCK_END = re.compile(r"</(p|li|h3|h4|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)
_LINK = re.compile(r'<a\b[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_answer(raw: str) -> str:
    """The answer as stored: only harmless markup survives (no script, no handlers, no javascript: links)."""
    return nh3.clean(
        raw.strip(), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=ALLOWED_URL_SCHEMES, link_rel="noopener noreferrer"
    ).strip()


def plain_text(answer_html: str) -> str:
    """What the bot says in a chat bubble: the text, line breaks kept, links as 'text (url)'."""

    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match.group(1)), _TAG.sub("", match.group(2))
        return label if not url or url == html.unescape(label) else f"{label} ({url})"

    text = _LINK.sub(link, answer_html)
    text = _BLOCK_END.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    return _BLANK_LINES.sub("\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()
