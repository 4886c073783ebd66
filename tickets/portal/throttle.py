"""Per-IP request budgets of the public pages (sign-in links, web form, hints), kept in the cache:
Redis in production, so every node shares them; per process in the embedded profile."""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache


def allow(*, scope: str, key: str, limit: int, window_s: int, now: datetime) -> bool:
    """Count one request of ``key`` in the current window of ``scope``; False past ``limit``."""
    window = int(now.timestamp()) // window_s
    name = f"tickets.portal.throttle:{scope}:{key}:{window}"
    cache.add(name, 0, timeout=window_s + 5)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=window_s + 5)
        count = 1
    return count <= limit
