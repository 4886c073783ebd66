"""Builders for ticket desk tests: a team with agents, customers, tickets, a fixed clock, captured events."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contactcenter.core import events as core_events
from contactcenter.core.customers.models import Customer
from contactcenter.core.staff.models import AgentProfile, Team
from tests.factories import AgentFactory, CustomerFactory, TeamFactory
from tickets import services
from tickets.access import SYSTEM
from tickets.models import Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def team(db: Any) -> Team:
    return TeamFactory(name="Billing", slug="billing")


@pytest.fixture
def other_team(db: Any) -> Team:
    return TeamFactory(name="Repairs", slug="repairs")


@pytest.fixture
def alice(team: Team) -> AgentProfile:
    return AgentFactory(teams=[team], display_name="Alice")


@pytest.fixture
def bob(team: Team) -> AgentProfile:
    return AgentFactory(teams=[team], display_name="Bob")


@pytest.fixture
def outsider(other_team: Team) -> AgentProfile:
    return AgentFactory(teams=[other_team], display_name="Olga")


@pytest.fixture
def supervisor(db: Any) -> AgentProfile:
    return AgentFactory(display_name="Sue", role=AgentProfile.Role.SUPERVISOR)


@pytest.fixture
def customer(db: Any) -> Customer:
    return CustomerFactory(name="Wang Fang", email="wang@example.com")


@pytest.fixture
def make_ticket(team: Team, customer: Customer) -> Callable[..., Ticket]:
    def make(**fields: Any) -> Ticket:
        fields.setdefault("actor", SYSTEM)
        fields.setdefault("team", team)
        fields.setdefault("subject", "Water bill too high")
        fields.setdefault("customer", customer)
        fields.setdefault("now", T0)
        return services.create_ticket(**fields)

    return make


@pytest.fixture
def capture_events(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """``with capture_events() as sent:`` runs the block's on-commit callbacks at its end and collects
    the (group, event) pairs they publish into ``sent``."""

    @contextlib.contextmanager
    def capture() -> Iterator[list[tuple[str, dict[str, Any]]]]:
        with core_events.collecting() as collected, django_capture_on_commit_callbacks(execute=True):
            yield collected

    return capture


def event_types(collected: list[tuple[str, dict[str, Any]]], group: str) -> list[str]:
    return [event["type"] for g, event in collected if g == group]
