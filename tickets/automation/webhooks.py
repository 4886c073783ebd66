"""Webhook calls from the outbox: signed POSTs made by a periodic job, retried with backoff, never in a request.

The body is the delivery's JSON; ``X-Contactcenter-Timestamp`` is the Unix time of the attempt and
``X-Contactcenter-Signature`` is ``sha256=`` + hex HMAC-SHA256 of ``<timestamp>.<body>`` with the webhook's
secret (the receiver recomputes it and refuses old timestamps, so a captured call cannot be replayed).
A delivery is claimed by pushing its next attempt past a lease in a short transaction, so the HTTP call
holds no row lock and two tickers never call at once; a 2xx answer delivers it, anything else retries
after 30 s, 1, 2, 4 … minutes, and after MAX_ATTEMPTS it is given up.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.db import transaction

from tickets.automation.models import WebhookDelivery

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
TIMEOUT_S = 5.0
LEASE = timedelta(minutes=2)
BATCH = 20


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: 30 s, 60 s, 120 s ... (at most 6 hours)."""
    return min(timedelta(seconds=30 * 2 ** max(0, attempts - 1)), timedelta(hours=6))


def _claim(now: datetime) -> list[WebhookDelivery]:
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(delivered_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:BATCH]
        )
        if due:
            WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(next_attempt_at=now + LEASE)
    return due


def _post(delivery: WebhookDelivery, now: datetime) -> str:
    """'' when the receiver took it (2xx), else what went wrong."""
    webhook = delivery.webhook
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(  # noqa: S310 - the caller checked the scheme is http(s)
        webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "contactcenter-webhook/1",
            "X-Contactcenter-Delivery": str(delivery.pk),
            "X-Contactcenter-Timestamp": timestamp,
            "X-Contactcenter-Signature": signature(webhook.secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - http(s) URLs only (URLField)
            return "" if 200 <= response.status < 300 else f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return type(error).__name__ + ": " + str(error)[:300]


def deliver_due(now: datetime) -> int:
    """The periodic job ``tickets_automation.webhooks``: make the due calls; returns how many were delivered."""
    delivered = 0
    for delivery in _claim(now):
        if not delivery.webhook.is_active or not delivery.webhook.url.startswith(("http://", "https://")):
            WebhookDelivery.objects.filter(pk=delivery.pk).update(failed_at=now, last_error="webhook switched off")
            continue
        error = _post(delivery, now)
        attempts = delivery.attempts + 1
        if not error:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=attempts, delivered_at=now, last_error="")
            delivered += 1
        elif attempts >= MAX_ATTEMPTS:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=attempts, failed_at=now, last_error=error[:500])
            logger.warning("webhook delivery %s given up after %d attempts: %s", delivery.pk, attempts, error)
        else:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                attempts=attempts, next_attempt_at=now + backoff(attempts), last_error=error[:500]
            )
    return delivered
