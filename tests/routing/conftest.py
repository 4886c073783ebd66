"""Routing is tested on its own: the owners' handlers (chat's, registered at start-up) are taken out
for each test, so a fake item id of kind "chat" is not looked up as a conversation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from routing import handlers


@pytest.fixture(autouse=True)
def _routing_without_owners() -> Iterator[None]:
    saved = dict(handlers._registry)
    handlers._registry.clear()
    try:
        yield
    finally:
        handlers._registry.clear()
        handlers._registry.update(saved)
