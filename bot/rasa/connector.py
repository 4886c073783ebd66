"""A channel's external Rasa assistant, asked over Rasa's REST channel: one visitor message in, the
assistant's replies out, or None (logged) whenever the assistant cannot be used, so the caller
answers with the built-in bot instead. Standard library only; never raises.

Protocol: POST ``{"sender", "message", "metadata"}`` to ``<base>/webhooks/rest/webhook``; the answer
is a JSON list of ``{"recipient_id", "text"?, "buttons"?: [{"title", "payload"}], "image"?,
"custom"?}``. A ``custom`` of ``{"handoff": true, "reason": "..."}`` asks for a person."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
import ssl
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/rest/webhook"
MAX_RESPONSE_BYTES = 256 * 1024
MAX_REPLIES = 10
MAX_TEXT_CHARS = 5000
MAX_BUTTONS = 10
MAX_BUTTON_CHARS = 200
MAX_PAYLOAD_CHARS = 1000
MAX_URL_CHARS = 2000
MAX_REASON_CHARS = 200
MAX_MESSAGE_CHARS = 10_000
_READ_CHUNK = 16 * 1024


@dataclass(frozen=True)
class RasaButton:
    title: str
    payload: str


@dataclass(frozen=True)
class RasaReply:
    """One message of the assistant. ``text`` is plain text (never markup to render)."""

    text: str = ""
    buttons: tuple[RasaButton, ...] = ()
    image: str = ""  # an http(s) URL, or ''
    custom: dict[str, Any] | None = None


@dataclass(frozen=True)
class RasaResult:
    replies: list[RasaReply] = field(default_factory=list)
    # The assistant asked for a person (a custom payload {"handoff": true, "reason": ...}).
    handoff: bool = False
    handoff_reason: str = ""


class _Unusable(Exception):
    """Why the assistant's answer cannot be used (the warning logged)."""


def webhook_url(base: str) -> str:
    """``http://rasa:5005`` → ``http://rasa:5005/webhooks/rest/webhook`` (a full webhook URL stays)."""
    parts = urlsplit(base.strip())
    path = parts.path.rstrip("/")
    if not path.endswith(WEBHOOK_PATH):
        path += WEBHOOK_PATH
    return parts._replace(path=path).geturl()


def ask_rasa(*, url: str, sender_id: str, text: str, timeout_s: float, metadata: dict[str, Any] | None = None) -> RasaResult | None:
    """The assistant's replies to ``text`` from ``sender_id`` (Rasa keeps one conversation per
    sender), or None on timeout, connection error, non-2xx, non-JSON or a wrong shape. Returns
    within about ``timeout_s`` whatever the server does (name resolution aside)."""
    target = webhook_url(url)
    started = time.monotonic()
    try:
        body = json.dumps({"sender": sender_id, "message": text[:MAX_MESSAGE_CHARS], "metadata": metadata or {}}, default=str).encode()
        raw = _post(target, body, deadline=started + timeout_s)
        return _parse(raw)
    except _Unusable as problem:
        reason = str(problem)
    except TimeoutError:
        reason = f"no answer within {timeout_s:g} s"
    except (OSError, http.client.HTTPException, ValueError) as error:  # ValueError: a bad URL or port
        # The watchdog cuts the connection at the deadline; what that breaks is a timeout too.
        reason = f"{type(error).__name__}: {error}" if time.monotonic() - started < timeout_s else f"no answer within {timeout_s:g} s"
    except Exception as error:  # the caller must always be able to fall back
        logger.exception("rasa connector: unexpected error from %s", _safe(target))
        reason = f"{type(error).__name__}"
    logger.warning("rasa connector: %s unusable (%s); the built-in bot answers", _safe(target), reason)
    return None


def _safe(url: str) -> str:
    """The URL without credentials or query (a token may be in either) for logs."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"[:200]


def _post(url: str, body: bytes, *, deadline: float) -> bytes:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Unusable("the URL is not http(s)://host...")
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=remaining, context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=remaining)
    # Socket timeouts bound each read; the watchdog bounds them all together (a server that
    # drips a byte at a time would otherwise reset the clock on every read).
    watchdog: threading.Timer | None = None
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "contactcenter-rasa-connector"}
        connection.request("POST", path or "/", body=body, headers=headers)
        # Kept here: the connection lets go of it when the server will close after the answer.
        sock = connection.sock
        if sock is not None:
            watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _abort, args=(sock,))
            watchdog.daemon = True
            watchdog.start()
        response = connection.getresponse()
        if not 200 <= response.status < 300:
            raise _Unusable(f"HTTP {response.status}")
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > MAX_RESPONSE_BYTES:
            raise _Unusable(f"the response is {length} bytes, more than {MAX_RESPONSE_BYTES}")
        chunks: list[bytes] = []
        size = 0
        while not response.isclosed():  # it closes itself once the whole body is read
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if sock is not None:
                sock.settimeout(remaining)
            chunk = response.read(_READ_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise _Unusable(f"the response is more than {MAX_RESPONSE_BYTES} bytes")
            chunks.append(chunk)
        if time.monotonic() >= deadline:
            raise TimeoutError
        return b"".join(chunks)
    finally:
        if watchdog is not None:
            watchdog.cancel()
        connection.close()


def _abort(sock: socket.socket) -> None:
    """Wake a read blocked on the connection: it sees the end of the stream."""
    # The plain socket's shutdown, also for TLS: SSLSocket.shutdown drops its TLS state under the
    # thread that is reading.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _parse(raw: bytes) -> RasaResult:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise _Unusable("the response is not JSON") from None
    if not isinstance(data, list):
        raise _Unusable("the response is not a JSON list of messages")
    if len(data) > MAX_REPLIES:
        logger.warning("rasa connector: %d replies, keeping the first %d", len(data), MAX_REPLIES)
    replies: list[RasaReply] = []
    handoff, reason = False, ""
    for number, item in enumerate(data[:MAX_REPLIES], start=1):
        if not isinstance(item, dict):
            raise _Unusable(f"message {number} is not an object")
        reply = _reply(item, number)
        if reply.custom is not None and reply.custom.get("handoff") is True:
            handoff = True
            given = reply.custom.get("reason")
            reason = reason or (_plain(given, MAX_REASON_CHARS) if isinstance(given, str) else "")
        replies.append(reply)
    return RasaResult(replies=replies, handoff=handoff, handoff_reason=reason)


def _reply(item: dict[str, Any], number: int) -> RasaReply:
    text = item.get("text")
    if text is not None and not isinstance(text, str):
        raise _Unusable(f"message {number}: text is not text")
    buttons = item.get("buttons")
    if buttons is not None and not isinstance(buttons, list):
        raise _Unusable(f"message {number}: buttons is not a list")
    parsed: list[RasaButton] = []
    for button in (buttons or [])[:MAX_BUTTONS]:
        if not isinstance(button, dict) or not isinstance(button.get("title"), str):
            raise _Unusable(f"message {number}: a button has no title")
        payload = button.get("payload", "")
        if not isinstance(payload, str):
            raise _Unusable(f"message {number}: a button's payload is not text")
        title = _plain(button["title"], MAX_BUTTON_CHARS)
        if title:
            parsed.append(RasaButton(title=title, payload=payload.strip()[:MAX_PAYLOAD_CHARS]))
    image = item.get("image")
    if image is not None and not isinstance(image, str):
        raise _Unusable(f"message {number}: image is not a URL")
    custom = item.get("custom")
    if custom is not None and not isinstance(custom, dict):
        custom = {"value": custom}  # Rasa passes any JSON through; only an object can ask for a handoff
    return RasaReply(
        text=_plain(text or "", MAX_TEXT_CHARS),
        buttons=tuple(parsed),
        image=image if image and len(image) <= MAX_URL_CHARS and urlsplit(image).scheme in ("http", "https") else "",
        custom=custom,
    )


def _plain(text: str, limit: int) -> str:
    """Text to show as it is: control and format characters (bidi overrides ...) dropped, line
    breaks, tabs and the emoji joiner kept; trimmed to ``limit``."""
    kept = "".join(c for c in text if c in "\n\t\u200d" or unicodedata.category(c) not in ("Cc", "Cf", "Cs"))
    kept = kept.strip()
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"
