"""Frame parsing, validation and limits for the realtime protocol (docs/protocol.md)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings

from contactcenter.core.errors import ContactCenterError, InvalidInput

# Close codes (4000-4999 are the application's own).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403
CLOSE_UNKNOWN_CHANNEL = 4404
CLOSE_FLOOD = 4429


class BadFrame(ContactCenterError):
    code = "bad_frame"
    default_message = "Frames are JSON objects with a string 'type'."


class UnknownType(ContactCenterError):
    code = "unknown_type"
    default_message = "Unknown frame type."


class TooLarge(ContactCenterError):
    code = "too_large"
    default_message = "The frame is too large."


class RateLimited(ContactCenterError):
    code = "rate_limited"
    default_message = "Too many frames; slow down."


class HelloRequired(ContactCenterError):
    code = "hello_required"
    default_message = "Send a 'hello' frame first."


def parse_frame(text: str | None, data: bytes | None) -> dict[str, Any]:
    if data is not None and text is None:
        raise BadFrame("Binary frames are not accepted; send JSON text.")
    raw = text or ""
    limit = settings.CC_MAX_FRAME_BYTES
    if len(raw) > limit or len(raw.encode("utf-8", "surrogatepass")) > limit:
        raise TooLarge(f"Frames are limited to {limit} bytes.", max_bytes=limit)
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadFrame("The frame is not valid JSON.") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise BadFrame()
    return frame


def error_frame(error: ContactCenterError, *, ref: Any = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", **error.as_dict()}
    if isinstance(ref, (str, int)) and not isinstance(ref, bool):
        frame["ref"] = ref
    return frame


def get_int(frame: dict[str, Any], key: str, *, default: int | None = None, minimum: int = 0) -> int:
    value = frame.get(key, default)
    if value is None:
        raise InvalidInput(f"'{key}' is required.", field=key)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum or value > 2**62:
        raise InvalidInput(f"'{key}' must be an integer >= {minimum}.", field=key)
    return value


def get_optional_int(frame: dict[str, Any], key: str, *, minimum: int = 0) -> int | None:
    if frame.get(key) is None:
        return None
    return get_int(frame, key, minimum=minimum)


def get_str(frame: dict[str, Any], key: str, *, default: str | None = None, max_len: int = 2000) -> str:
    value = frame.get(key, default)
    if value is None:
        raise InvalidInput(f"'{key}' is required.", field=key)
    if not isinstance(value, str):
        raise InvalidInput(f"'{key}' must be a string.", field=key)
    if len(value) > max_len:
        raise InvalidInput(f"'{key}' is longer than {max_len} characters.", field=key)
    return value


def get_bool(frame: dict[str, Any], key: str, *, default: bool = False) -> bool:
    value = frame.get(key, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"'{key}' must be true or false.", field=key)
    return value


def get_int_list(frame: dict[str, Any], key: str, *, max_items: int = 10) -> list[int]:
    value = frame.get(key, [])
    if not isinstance(value, list) or len(value) > max_items or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise InvalidInput(f"'{key}' must be a list of at most {max_items} integer ids.", field=key)
    return value


def get_rating(frame: dict[str, Any]) -> tuple[int, str]:
    """The ``rate`` frame's score (an integer 1-5) and optional comment (at most 1000 characters)."""
    score = frame.get("score")
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise InvalidInput("'score' must be an integer from 1 to 5.", field="score")
    comment = get_str(frame, "comment", default="", max_len=1000)
    return score, comment


class TokenBucket:
    """Per-connection frame budget: ``rate`` frames a second with bursts up to ``burst``."""

    def __init__(self, *, rate: float | None = None, burst: int | None = None) -> None:
        self.rate = rate if rate is not None else settings.CC_RATE_FRAMES_PER_S
        self.burst = float(burst if burst is not None else settings.CC_RATE_BURST)
        self.tokens = self.burst
        self.stamp = time.monotonic()
        self.strikes = 0

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.strikes += 1
        return False

    @property
    def flooding(self) -> bool:
        return self.strikes >= int(settings.CC_RATE_STRIKES_BEFORE_CLOSE)
