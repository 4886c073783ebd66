"""Process-level tuning of a server process: Python's garbage collector (see docs/benchmarks.md)."""

from __future__ import annotations

import gc
import logging
import sys
import time
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

PYTHON_DEFAULT = "python"
GC_PAUSE_MESSAGE = "garbage collection (generation %d) paused the server for %.0f ms"


def parse_gc_threshold(value: str) -> tuple[int, int, int] | None:
    """``"50000,20,100"`` -> (50000, 20, 100); ``"python"`` -> None (keep the interpreter's)."""
    if value.strip().lower() == PYTHON_DEFAULT:
        return None
    parts = tuple(int(p) for p in value.split(","))
    if len(parts) != 3 or parts[0] < 1 or min(parts) < 0:
        raise ValueError(f"CC_GC_THRESHOLD must be three integers like 50000,20,100 (or {PYTHON_DEFAULT!r}), not {value!r}")
    return parts[0], parts[1], parts[2]


def tune_garbage_collector() -> None:
    """Freeze what start-up loaded and collect the young generations less often.

    A server holding thousands of sockets has a large, long-lived heap, and each full (gen2)
    collection walks all of it: 300-500 ms with 2,000 WebSockets, during which no frame moves.
    With Python's thresholds (700, 10, 10) the ORM's churn triggered one every few seconds and
    set the chat latency tail; with the larger thresholds far fewer objects are promoted and
    full collections become rare (`contactcenter bench chat`, 1,000 conversations: 15 full
    collections and 6.9 s of GC CPU in 10,000 messages with the defaults, 1 and about 1 s
    with 50000,20,100). Frozen start-up objects (modules, URL
    conf, settings) are never walked again.
    """
    if settings.CC_GC_WARN_MS > 0:
        watch_gc_pauses(warn_ms=settings.CC_GC_WARN_MS)
    threshold = parse_gc_threshold(settings.CC_GC_THRESHOLD)
    if threshold is None:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(*threshold)


def watch_gc_pauses(*, warn_ms: float) -> None:
    """Log a warning for every collection longer than ``warn_ms``: nothing else runs meanwhile."""
    started = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        paused_ms = (time.perf_counter() - started[0]) * 1000
        # At interpreter exit the log streams may be closed already; nobody waits then anyway.
        if paused_ms >= warn_ms and not sys.is_finalizing():
            logger.warning(GC_PAUSE_MESSAGE, info["generation"], paused_ms)

    gc.callbacks.append(on_gc)
