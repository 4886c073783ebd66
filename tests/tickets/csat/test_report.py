"""GET /api/csat/: the ratings an agent may see with averages per team and agent, filtered by team, agent and time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from contactcenter.core.staff.models import AgentProfile, Team
from tests.factories import CustomerFactory
from tests.tickets.csat.conftest import client_for
from tickets.csat import services
from tickets.csat.models import Rating

pytestmark = pytest.mark.django_db


def _rate(ticket: Any, score: int, **fields: Any) -> Rating:
    rating = services.rate_ticket(token=services.rating_token(ticket_id=ticket.pk), score=score, comment="", now=timezone.now())
    if fields:
        Rating.objects.filter(pk=rating.pk).update(**fields)
    return rating


def test_averages_per_team_and_agent(
    solved: Any, alice: AgentProfile, bob: AgentProfile, team: Team, other_team: Team, supervisor: AgentProfile
) -> None:
    _rate(solved(), 5)
    _rate(solved(), 2)
    _rate(solved(), 4, agent=bob)
    _rate(solved(team=other_team), 1, agent=None, team=other_team)
    body = client_for(supervisor).get("/api/csat/").json()
    assert (body["count"], body["average"], body["low"]) == (4, 3.0, 2)
    teams = {g["name"]: (g["count"], g["average"], g["low"]) for g in body["by_team"]}
    assert teams == {"Billing": (3, 3.67, 1), "Repairs": (1, 1.0, 1)}
    agents = {g["id"]: (g["count"], g["average"]) for g in body["by_agent"]}
    assert agents == {alice.pk: (2, 3.5), bob.pk: (1, 4.0), None: (1, 1.0)}
    assert len(body["results"]) == 4


def test_the_report_filters_by_team_agent_and_since(solved: Any, alice: AgentProfile, bob: AgentProfile, supervisor: AgentProfile) -> None:
    _rate(solved(), 5, created_at=timezone.now() - timedelta(days=10))
    _rate(solved(), 3)
    _rate(solved(), 1, agent=bob)
    api = client_for(supervisor)
    assert api.get(f"/api/csat/?agent={alice.pk}").json()["average"] == 4.0
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert api.get("/api/csat/", {"since": since}).json()["count"] == 2
    assert api.get("/api/csat/", {"since": since, "agent": alice.pk}).json()["average"] == 3.0
    assert api.get("/api/csat/?since=yesterday").status_code == 400
    assert api.get("/api/csat/?colour=blue").status_code == 400


def test_agents_see_only_their_teams_ratings(solved: Any, alice: AgentProfile, outsider: AgentProfile, other_team: Team) -> None:
    _rate(solved(), 5)
    _rate(solved(team=other_team, customer=CustomerFactory()), 1, agent=outsider, team=other_team)
    assert client_for(alice).get("/api/csat/").json()["count"] == 1
    assert client_for(outsider).get("/api/csat/").json()["average"] == 1.0


def test_customers_and_anonymous_callers_get_no_report(client: Any) -> None:
    assert client.get("/api/csat/").status_code == 403
