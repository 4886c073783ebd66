"""Helpers of the portal and web-form tests: a signed-in client, the mailed link, a note to hide."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.core import mail
from django.test import Client

from contactcenter.core.customers.models import Customer
from tickets.portal.auth import SESSION_KEY

#: Planted in internal notes (and their files); no portal page or hint answer may contain it.
SECRET = "NOTE-ONLY-7f3a 内部机密"
LINK = re.compile(r"https?://[^\s]+/portal/sign-in/([A-Za-z0-9_-]+)/")


def signed_in(client: Client, customer: Customer) -> Client:
    session = client.session
    session[SESSION_KEY] = customer.pk
    session.save()
    return client


def mailed_tokens() -> list[str]:
    return [match.group(1) for message in mail.outbox for match in LINK.finditer(str(message.body))]


def last_token() -> str:
    tokens = mailed_tokens()
    assert tokens, "no sign-in link was mailed"
    return tokens[-1]


def text_of(response: Any) -> str:
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    return bytes(content).decode("utf-8", errors="replace")


def own_cache(settings: Any) -> None:
    """A fresh in-memory cache for the test (throttle counters start at zero). Never cache.clear():
    with REDIS_URL that would empty a Redis other runs share."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"portal-test-{uuid.uuid4().hex}"}
    }
