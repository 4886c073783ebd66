"""Shared fixtures: service availability (skip, or fail with CC_REQUIRE_SERVICES=1), clients."""

from __future__ import annotations

import os
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


def only_on_database(vendor: str) -> None:
    """For a test about one database engine: skip (never fail) in the other profile's pass.

    ./dev test runs the suite once on SQLite and once on PostgreSQL (required under
    CC_REQUIRE_SERVICES=1), so every such test runs in exactly one of the two passes."""
    from django.db import connection

    if connection.vendor != vendor:
        pytest.skip(f"runs in the {vendor} pass of ./dev test")


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
    # The in-memory layer is a process-wide singleton: start every test with an empty one. With
    # REDIS_URL this drops the pub/sub layer object too; its connections belong to the event loops
    # that used them, and channels_redis flushes and closes them when such a loop is closed (each
    # test's loop, each async_to_sync call's loop), so none leak into the next test.
    from channels.layers import channel_layers

    channel_layers.backends.clear()


@pytest.fixture(scope="session", autouse=True)
def _fast_postgres_flush() -> Any:
    """Empty tables after a transactional test with DELETE rather than TRUNCATE on PostgreSQL.

    TRUNCATE creates new files for every table and index (about 0.5 s per test here, most of the
    production-profile run); DELETE of the few rows a test writes takes milliseconds. Django's
    foreign keys are DEFERRABLE INITIALLY DEFERRED, so the order of the deletes does not matter
    inside the flush transaction. Sequences are left alone, as Django's TRUNCATE leaves them.
    """
    try:
        from django.db.backends.postgresql.operations import DatabaseOperations
    except ImportError:  # no psycopg: no PostgreSQL to speed up
        yield
        return

    original = DatabaseOperations.sql_flush

    def sql_flush(
        self: DatabaseOperations, style: Any, tables: Any, *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        if reset_sequences or not tables:
            return original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return ["SET CONSTRAINTS ALL DEFERRED", *(f"DELETE FROM {self.quote_name(table)}" for table in tables)]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    DatabaseOperations.sql_flush = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    # Django's LocaleMiddleware activates the request's language in the thread that served it and
    # never deactivates it; with the test client that is the test's own thread, so a console test
    # in Chinese would leave the next test's messages in Chinese.
    yield
    from django.utils import translation

    translation.deactivate()
