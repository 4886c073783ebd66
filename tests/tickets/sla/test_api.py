"""The SLA endpoints: one ticket's clocks and badges for a list, for agents who may see the tickets only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from contactcenter.core.staff.models import AgentProfile, Team
from tests.factories import UserFactory
from tests.tickets.sla.conftest import CREATED, sh
from tickets.models import Ticket
from tickets.sla.models import SlaPolicy

pytestmark = pytest.mark.django_db


def client_for(agent: AgentProfile | None = None) -> APIClient:
    client = APIClient()
    if agent is not None:
        client.force_login(agent.user)
    return client


@pytest.fixture
def ticket(policy: SlaPolicy, make_ticket: Callable[..., Ticket], capture_events: Any) -> Ticket:
    with time_machine.travel(CREATED, tick=False), capture_events():
        return make_ticket(now=CREATED)


def test_the_clocks_of_a_ticket_with_state_and_working_seconds_left(alice: AgentProfile, ticket: Ticket) -> None:
    with time_machine.travel(sh(2026, 10, 2, 9, 40), tick=False):
        body = client_for(alice).get(f"/api/tickets/{ticket.pk}/sla/").json()
    clocks = {c["metric"]: c for c in body["clocks"]}
    assert body["ticket_id"] == ticket.pk and set(clocks) == {"first_response", "resolution"}
    first = clocks["first_response"]
    assert first["state"] == "warning" and first["remaining_s"] == 20 * 60 and first["policy"] == "Billing standard"
    assert clocks["resolution"]["state"] == "ok"
    with time_machine.travel(sh(2026, 10, 2, 10, 5), tick=False):
        late = client_for(alice).get(f"/api/tickets/{ticket.pk}/sla/").json()
    overdue = {c["metric"]: c for c in late["clocks"]}["first_response"]
    assert overdue["state"] == "breached" and overdue["remaining_s"] == -5 * 60


def test_another_teams_agent_gets_404_and_anyone_else_403(outsider: AgentProfile, ticket: Ticket) -> None:
    assert client_for(outsider).get(f"/api/tickets/{ticket.pk}/sla/").status_code == 404
    assert client_for().get(f"/api/tickets/{ticket.pk}/sla/").status_code == 403
    plain = APIClient()
    plain.force_login(UserFactory())
    assert plain.get(f"/api/tickets/{ticket.pk}/sla/").status_code == 403
    assert plain.get(f"/api/tickets/sla/?ids={ticket.pk}").status_code == 403


def test_badges_leave_out_tickets_the_agent_may_not_see(
    alice: AgentProfile, outsider: AgentProfile, supervisor: AgentProfile, ticket: Ticket, other_team: Team
) -> None:
    url = f"/api/tickets/sla/?ids={ticket.pk},999999"
    assert [r["ticket_id"] for r in client_for(alice).get(url).json()["results"]] == [ticket.pk]
    assert [r["ticket_id"] for r in client_for(supervisor).get(url).json()["results"]] == [ticket.pk]
    assert client_for(outsider).get(url).json()["results"] == []


@pytest.mark.parametrize("ids", ["", "1,x", "-1", ",".join(str(n) for n in range(1, 102)), "1" * 30])
def test_badges_refuse_bad_or_too_many_ids(alice: AgentProfile, ids: str) -> None:
    response = client_for(alice).get(f"/api/tickets/sla/?ids={ids}")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_badges_cost_the_same_for_three_and_thirty_tickets(
    alice: AgentProfile,
    policy: SlaPolicy,
    make_ticket: Callable[..., Ticket],
    capture_events: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with capture_events():
        many = [make_ticket(now=CREATED).pk for _ in range(30)]
    counts = []
    for ids in (many[:3], many):
        with CaptureQueriesContext(connection) as queries:
            assert len(client_for(alice).get(f"/api/tickets/sla/?ids={','.join(map(str, ids))}").json()["results"]) == len(ids)
        counts.append(len(queries))
    assert counts[0] == counts[1]
