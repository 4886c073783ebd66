"""Text normalisation and keyword tokens for Chinese and English (no segmenter needed: CJK is
indexed as character uni- and bigrams, which tolerates unknown words and typos of one character)."""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:['.-][a-z0-9]+)*")
_HAS_CJK = re.compile(rf"[{_CJK}]")
_LATIN_WORD = re.compile(r"[a-z]{2,}")

# Function characters that carry no topic alone; they still count inside bigrams.
ZH_STOP_CHARS = frozenset("的了吗呢吧啊呀嘛哦么是我你他她它们这那个一有在就都也还要想会能可以把被让给和与及或么啥")
EN_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "do",
        "does",
        "did",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "about",
        "as",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "they",
        "them",
        "their",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "why",
        "when",
        "where",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "please",
        "hi",
        "hello",
        "hey",
        "just",
        "so",
        "and",
        "or",
        "but",
        "if",
        "then",
        "than",
        "not",
        "no",
        "any",
        "some",
        "get",
        "got",
        "have",
        "has",
        "had",
        "im",
        "i'm",
        "it's",
        "there's",
    ]
)

# Words that mean the same in support questions, mapped to one form (lowercase, after stemming).
EN_SYNONYMS = {
    "wi-fi": "wifi",
    "wireless": "wifi",
    "internet": "connection",
    "broadband": "connection",
    "network": "connection",
    "enroll": "enrol",
    "enrolment": "enrol",
    "enrollment": "enrol",
    "signup": "enrol",
    "register": "enrol",
    "refund": "refund",
    "reimburs": "refund",
    "invoice": "bill",
    "charge": "bill",
    "payment": "pay",
    "passcode": "password",
    "passwd": "password",
    "pwd": "password",
    "relocat": "move",
    "reloc": "move",
    "cancel": "cancel",
    "terminat": "cancel",
    "human": "person",
    "agent": "person",
    "operator": "person",
    "representative": "person",
}


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, one space between words."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def has_cjk(text: str) -> bool:
    return _HAS_CJK.search(text) is not None


def stem(word: str) -> str:
    """A light English stemmer: enough to meet 'billing' with 'bill' and 'moving' with 'move'."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix in ("ations", "ation", "ments", "ment", "ings", "ing", "edly", "ed", "ies", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix == "ies":
                base += "y"
            elif suffix in ("ing", "ed", "es") and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "ls":
                base = base[:-1]  # stopped -> stop, but bill stays bill
            return base
    return word


def _en_token(word: str) -> str | None:
    if word in EN_STOPWORDS:
        return None
    word = EN_SYNONYMS.get(word, word)
    stemmed = stem(word)
    for prefix, canonical in EN_SYNONYMS.items():
        if stemmed == prefix or (len(prefix) >= 5 and stemmed.startswith(prefix)):
            return canonical
    return stemmed


def tokens(text: str) -> list[str]:
    """Keyword tokens: English stems and CJK character uni- and bigrams."""
    out: list[str] = []
    for run in _RUN.findall(normalize(text)):
        if _HAS_CJK.match(run):
            out.extend(ch for ch in run if ch not in ZH_STOP_CHARS)
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            token = _en_token(run)
            if token:
                out.append(token)
    return out


def content_size(text: str) -> int:
    """How much a question says: CJK characters plus English words that are not stopwords."""
    size = 0
    for run in _RUN.findall(normalize(text)):
        if _HAS_CJK.match(run):
            size += sum(1 for ch in run if ch not in ZH_STOP_CHARS)
        elif run not in EN_STOPWORDS:
            size += 1
    return size


def looks_like_words(text: str) -> bool:
    """False for keyboard mashing ('qwerty asdf', 'jjjjj'): no vowel-bearing English word, no CJK."""
    norm = normalize(text)
    if has_cjk(norm):
        return True
    words = _LATIN_WORD.findall(norm)
    if not words:
        return False
    real = [w for w in words if re.search(r"[aeiouy]", w) and not re.search(r"(.)\1\1", w) and not _KEYBOARD_ROWS.search(w)]
    return len(real) * 2 >= len(words)


_KEYBOARD_ROWS = re.compile(r"qwer|wert|erty|asdf|sdfg|dfgh|zxcv|xcvb|hjkl|uiop|yuio")
