"""Shared fixtures: service availability (skip, or fail with CC_REQUIRE_SERVICES=1), clients."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

REQUIRE_SERVICES = os.environ.get("CC_REQUIRE_SERVICES") == "1"


def need(what: str, available: bool, why: str = "") -> None:
    """Skip a test whose service is missing, unless CI requires every service."""
    if available:
        return
    message = f"{what} is not available{': ' + why if why else ''}"
    if REQUIRE_SERVICES:
        pytest.fail(f"CC_REQUIRE_SERVICES=1 but {message}")
    pytest.skip(message)


@pytest.fixture
def channel(db: Any) -> Any:
    from tests.factories import ChannelFactory

    return ChannelFactory()


@pytest.fixture
def agent(channel: Any) -> Any:
    from tests.factories import AgentFactory

    return AgentFactory(teams=[channel.team])


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> None:
    # The in-memory layer is a process-wide singleton: start every test with an empty one.
    from channels.layers import channel_layers

    channel_layers.backends.clear()
