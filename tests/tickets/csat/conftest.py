"""Builders for the CSAT tests: a solved ticket and API clients for agents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from contactcenter.core.staff.models import AgentProfile
from tests.tickets.automation.conftest import make_rule as make_rule  # the automation builders
from tests.tickets.conftest import T0
from tickets import services
from tickets.access import SYSTEM
from tickets.models import Ticket


def client_for(agent: AgentProfile) -> APIClient:
    client = APIClient()
    client.force_login(agent.user)
    return client


@pytest.fixture
def solved(make_ticket: Callable[..., Ticket], alice: AgentProfile) -> Callable[..., Ticket]:
    def make(**fields: Any) -> Ticket:
        ticket = make_ticket(**fields)
        Ticket.objects.filter(pk=ticket.pk).update(assignee=alice)  # who served it
        return services.solve_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=T0)

    return make
