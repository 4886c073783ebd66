"""ASGI app for the baseline consumer: the project's settings (same channel layer), no middleware."""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")

import django

django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from contactcenter.bench.baseline import PairConsumer  # noqa: E402
from contactcenter.runtime import tune_garbage_collector  # noqa: E402


async def healthz(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Readiness for the benchmark's process helper; every HTTP path answers 200."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


application = ProtocolTypeRouter(
    {
        "http": healthz,
        "websocket": URLRouter([path("ws/pair/", PairConsumer.as_asgi())]),
    }
)

# The same process tuning as the product's server, so the comparison is of the code alone.
tune_garbage_collector()
