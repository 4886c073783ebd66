"""The SMS gateway adapter: one interface, and a generic HTTP JSON gateway configured from settings.

``POST CC_SMS_GATEWAY_URL`` with ``Authorization: Bearer CC_SMS_GATEWAY_TOKEN`` and the JSON
``{"to", "text", "sender", "reference"}``. A 2xx answer means sent (its JSON ``id`` is kept); a 4xx
answer means the gateway will never take this message (given up at once); a 5xx answer, no answer
within the timeout or an unreachable gateway is retried.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from django.conf import settings


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    message_id: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class Text:
    to: str
    body: str
    #: The outbox row's key: the same text sent twice (a node died after the call) carries the same one.
    reference: str


class Gateway(Protocol):
    def send(self, text: Text) -> Result: ...


@dataclass(frozen=True, slots=True)
class HttpJsonGateway:
    url: str
    token: str
    sender: str
    timeout_s: float

    def send(self, text: Text) -> Result:
        payload = {"to": text.to, "text": text.body, "sender": self.sender, "reference": text.reference}
        headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "contactcenter-sms/1"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - configured() only accepts http(s) URLs
            self.url, data=json.dumps(payload).encode(), method="POST", headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 - http(s) only
                raw = response.read(64 * 1024)
        except urllib.error.HTTPError as error:
            return Result(Outcome.REFUSED if 400 <= error.code < 500 else Outcome.RETRY, error=_detail(error))
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:  # timeouts are OSErrors
            return Result(Outcome.RETRY, error=(type(error).__name__ + ": " + str(error))[:500])
        return Result(Outcome.SENT, message_id=_message_id(raw))


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        body = error.read(300).decode("utf-8", "replace").strip()
    except (http.client.HTTPException, OSError):
        body = ""
    return f"HTTP {error.code}: {body}"[:500]


def _message_id(raw: bytes) -> str:
    """The gateway's ``id`` (or ``message_id``) from a JSON answer; '' when it gives none."""
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return ""
    if not isinstance(answer, dict):
        return ""
    value = answer.get("id", answer.get("message_id", ""))
    return str(value)[:255] if isinstance(value, str | int) and not isinstance(value, bool) else ""


def configured() -> Gateway | None:
    """The gateway the settings name, or None when there is none (then nothing is queued)."""
    url = str(getattr(settings, "CC_SMS_GATEWAY_URL", "") or "")
    if not url.startswith(("http://", "https://")):
        return None
    return HttpJsonGateway(
        url=url,
        token=str(getattr(settings, "CC_SMS_GATEWAY_TOKEN", "") or ""),
        sender=str(getattr(settings, "CC_SMS_SENDER", "") or ""),
        timeout_s=float(getattr(settings, "CC_SMS_TIMEOUT_S", 5.0) or 5.0),
    )
