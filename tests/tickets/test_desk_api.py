"""The console's ticket-page API: the desk, saved views (personal and shared), select-all ids, lookup by number."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from contactcenter.core.customers.models import Customer
from contactcenter.core.staff.models import AgentProfile, Team
from tests.factories import AgentFactory, TeamFactory
from tests.tickets.conftest import T0, at
from tickets import selectors, services
from tickets.access import SYSTEM
from tickets.models import SavedView, Stage

pytestmark = pytest.mark.django_db


def client_for(agent: AgentProfile) -> APIClient:
    client = APIClient()
    client.force_login(agent.user)
    return client


def new_view(client: APIClient, **body: Any) -> Any:
    body.setdefault("name", "Urgent ones")
    body.setdefault("query", {"priority": ["urgent"], "status": ["open"]})
    return client.post("/api/tickets/views/", body, format="json")


def view_names(client: APIClient) -> list[str]:
    return [view["name"] for view in client.get("/api/tickets/views/").json()["results"]]


# ---------------------------------------------------------------------------------------- desk


def test_the_desk_offers_the_agents_teams_with_stages_in_order_and_their_agents(
    team: Team, other_team: Team, alice: AgentProfile, bob: AgentProfile, outsider: AgentProfile
) -> None:
    body = client_for(alice).get("/api/tickets/desk/").json()
    assert body["me"] == {"id": alice.pk, "name": "Alice", "role": "agent", "supervisor": False}
    assert [t["name"] for t in body["teams"]] == ["Billing"]
    billing = body["teams"][0]
    assert billing["member"] is True
    assert [s["name"] for s in billing["stages"]] == ["New", "In progress", "Solved", "Closed"]
    assert [s["closing"] for s in billing["stages"]] == [False, False, True, True]
    assert {a["name"] for a in billing["agents"]} == {"Alice", "Bob"}


def test_a_supervisor_gets_every_team_and_the_query_count_does_not_grow_with_teams(supervisor: AgentProfile) -> None:
    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            body = client_for(supervisor).get("/api/tickets/desk/").json()
        return len(body["teams"]), len(queries)

    for n in range(3):
        team = TeamFactory(name=f"Team {n}", slug=f"team-{n}")
        services.create_ticket(actor=SYSTEM, team=team, subject="stages exist now", now=T0)
        AgentFactory(teams=[team])
    teams, queries = count()
    for n in range(3, 8):
        team = TeamFactory(name=f"Team {n}", slug=f"team-{n}")
        Stage.objects.create(team=team, name="Only", position=0)
        AgentFactory(teams=[team])
    more_teams, same_queries = count()
    assert (teams, more_teams) == (3, 8)
    assert same_queries == queries


# --------------------------------------------------------------------------------- saved views


def test_a_personal_view_is_seen_by_its_owner_only(alice: AgentProfile, bob: AgentProfile, supervisor: AgentProfile) -> None:
    response = new_view(client_for(alice))
    assert response.status_code == 201, response.json()
    assert response.json()["mine"] is True and response.json()["shared"] is False
    assert view_names(client_for(alice)) == ["Urgent ones"]
    assert view_names(client_for(bob)) == []
    assert view_names(client_for(supervisor)) == []


def test_a_view_shared_with_a_team_reaches_its_members_and_nobody_else(
    team: Team, alice: AgentProfile, bob: AgentProfile, outsider: AgentProfile
) -> None:
    created = new_view(client_for(alice), shared=True, team=team.pk).json()
    assert view_names(client_for(bob)) == ["Urgent ones"]
    assert view_names(client_for(outsider)) == []
    bobs = client_for(bob).get("/api/tickets/views/").json()["results"][0]
    assert bobs["mine"] is False and bobs["owner"]["name"] == "Alice"
    # A teammate may use it, not change it.
    refused = client_for(bob).patch(f"/api/tickets/views/{created['id']}/", {"name": "Bob's now"}, format="json")
    assert refused.status_code == 403
    assert client_for(bob).delete(f"/api/tickets/views/{created['id']}/").status_code == 403
    assert SavedView.objects.get().name == "Urgent ones"


def test_only_supervisors_share_a_view_with_every_agent(alice: AgentProfile, supervisor: AgentProfile, outsider: AgentProfile) -> None:
    refused = new_view(client_for(alice), shared=True)
    assert refused.status_code == 403
    assert new_view(client_for(supervisor), shared=True, name="Overdue everywhere", query={"overdue": True}).status_code == 201
    assert view_names(client_for(outsider)) == ["Overdue everywhere"]
    assert view_names(client_for(alice)) == ["Overdue everywhere"]


def test_an_agent_cannot_share_a_view_with_a_team_they_are_not_in(alice: AgentProfile, other_team: Team) -> None:
    assert new_view(client_for(alice), shared=True, team=other_team.pk).status_code == 403
    assert not SavedView.objects.exists()


def test_a_supervisor_of_the_team_may_tidy_a_shared_view_one_outside_it_does_not_see_it(
    team: Team, alice: AgentProfile, supervisor: AgentProfile
) -> None:
    created = new_view(client_for(alice), shared=True, team=team.pk).json()
    url = f"/api/tickets/views/{created['id']}/"
    assert client_for(supervisor).patch(url, {"name": "Urgent (billing)"}, format="json").status_code == 404
    supervisor.teams.add(team)
    response = client_for(supervisor).patch(url, {"name": "Urgent (billing)"}, format="json")
    assert response.status_code == 200
    assert response.json()["owner"]["name"] == "Alice"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": ["bogus"]}, "status"),
        ({"page": 3}, "page"),
        ({"sort": "random()"}, "sort"),
        ({"assignee": ["x"]}, "assignee"),
        ({"q": "a" * 500}, "q"),
    ],
)
def test_a_view_keeps_only_filters_the_list_accepts(alice: AgentProfile, query: dict[str, Any], field: str) -> None:
    response = new_view(client_for(alice), query=query)
    assert response.status_code == 400
    assert field in response.json()["details"]["fields"]["query"]


def test_two_views_of_one_owner_cannot_share_a_name(alice: AgentProfile) -> None:
    assert new_view(client_for(alice)).status_code == 201
    again = new_view(client_for(alice), name="  Urgent   ones ")
    assert again.status_code == 400
    assert "name" in again.json()["details"]["fields"]


def test_a_view_is_renamed_refiltered_and_deleted_by_its_owner(alice: AgentProfile) -> None:
    client = client_for(alice)
    created = new_view(client).json()
    changed = client.patch(f"/api/tickets/views/{created['id']}/", {"name": "Hot", "query": {"urged": True}}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["query"]) == ("Hot", {"urged": True})
    assert client.delete(f"/api/tickets/views/{created['id']}/").status_code == 204
    assert view_names(client) == []


def test_a_saved_views_filters_give_the_same_list_as_the_list_endpoint(team: Team, alice: AgentProfile, customer: Customer) -> None:
    services.create_ticket(actor=SYSTEM, team=team, customer=customer, subject="Urgent leak", priority="urgent", now=T0)
    services.create_ticket(actor=SYSTEM, team=team, customer=customer, subject="Calm question", now=T0)
    client = client_for(alice)
    view = new_view(client).json()
    from urllib.parse import urlencode

    listed = client.get("/api/tickets/?" + urlencode(view["query"], doseq=True)).json()["results"]
    assert [row["subject"] for row in listed] == ["Urgent leak"]


# ------------------------------------------------------------------------ select all, by number


def test_select_all_gives_every_matching_id_in_list_order_up_to_the_cap(
    team: Team, other_team: Team, alice: AgentProfile, customer: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = [services.create_ticket(actor=SYSTEM, team=team, customer=customer, subject=f"Bill {n}", now=at(n)) for n in range(4)]
    services.create_ticket(actor=SYSTEM, team=other_team, customer=customer, subject="Not Alice's", now=at(9))
    client = client_for(alice)
    body = client.get("/api/tickets/ids/?sort=-created").json()
    assert body == {"ids": [t.pk for t in reversed(made)], "count": 4, "limit": 500}
    monkeypatch.setattr(sys.modules["tickets.selectors.desk"], "MAX_SELECTION", 2)
    capped = client.get("/api/tickets/ids/?sort=created&q=bill").json()
    assert (capped["ids"], capped["count"]) == ([made[0].pk, made[1].pk], 4)


def test_select_all_by_priority_sorts_like_the_list(team: Team, alice: AgentProfile) -> None:
    low = services.create_ticket(actor=SYSTEM, team=team, subject="low", priority="low", now=at(1))
    urgent = services.create_ticket(actor=SYSTEM, team=team, subject="urgent", priority="urgent", now=at(2))
    client = client_for(alice)
    assert client.get("/api/tickets/ids/?sort=-priority").json()["ids"] == [urgent.pk, low.pk]
    listed = [row["id"] for row in client.get("/api/tickets/?sort=-priority").json()["results"]]
    assert listed == [urgent.pk, low.pk]


def test_a_ticket_is_found_by_its_number_or_its_digits(team: Team, alice: AgentProfile, outsider: AgentProfile) -> None:
    ticket = services.create_ticket(actor=SYSTEM, team=team, subject="Meter", now=T0)
    digits = str(int(ticket.number.removeprefix("T-")))
    for text in (ticket.number, ticket.number.lower(), digits):
        assert client_for(alice).get(f"/api/tickets/by-number/{text}/").json() == {"id": ticket.pk, "number": ticket.number}
    assert client_for(outsider).get(f"/api/tickets/by-number/{ticket.number}/").status_code == 404
    assert client_for(alice).get("/api/tickets/by-number/T-999999/").status_code == 404
    assert selectors.ticket_id_by_number(actor=alice, number=f" {ticket.number} ") == ticket.pk


# ---------------------------------------------------------------------------- follow-ups (追单)


def test_a_reminder_is_set_listed_for_its_agent_and_cancelled(team: Team, alice: AgentProfile, bob: AgentProfile) -> None:
    from datetime import timedelta

    from django.utils import timezone

    ticket = services.create_ticket(actor=SYSTEM, team=team, subject="Call back Monday", now=timezone.now())
    due = (timezone.now() + timedelta(days=1)).isoformat()
    created = client_for(alice).post(f"/api/tickets/{ticket.pk}/follow-ups/", {"due_at": due, "note": "ask for photos"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    summary = (body["ticket"]["number"], body["agent"]["name"], body["note"], body["fired"])
    assert summary == (ticket.number, "Alice", "ask for photos", False)
    for_bob = client_for(alice).post(f"/api/tickets/{ticket.pk}/follow-ups/", {"due_at": due, "agent": bob.pk}, format="json")
    assert for_bob.status_code == 201
    assert [f["note"] for f in client_for(alice).get("/api/tickets/follow-ups/").json()["results"]] == ["ask for photos"]
    assert len(client_for(bob).get("/api/tickets/follow-ups/").json()["results"]) == 1
    assert len(client_for(bob).get(f"/api/tickets/{ticket.pk}/follow-ups/").json()["results"]) == 2
    assert client_for(alice).delete(f"/api/tickets/follow-ups/{body['id']}/").status_code == 204
    assert client_for(alice).get("/api/tickets/follow-ups/").json()["results"] == []
    again = client_for(alice).delete(f"/api/tickets/follow-ups/{body['id']}/")
    assert again.status_code == 400


def test_a_reminder_in_the_past_or_for_an_outsider_is_refused(team: Team, alice: AgentProfile, outsider: AgentProfile) -> None:
    ticket = services.create_ticket(actor=SYSTEM, team=team, subject="Meter", now=T0)
    past = client_for(alice).post(f"/api/tickets/{ticket.pk}/follow-ups/", {"due_at": "2001-01-01T00:00:00Z"}, format="json")
    assert past.status_code == 400
    stranger = client_for(alice).post(
        f"/api/tickets/{ticket.pk}/follow-ups/", {"due_at": "2099-01-01T00:00:00Z", "agent": outsider.pk}, format="json"
    )
    assert stranger.status_code == 403
    hidden = client_for(outsider).post(f"/api/tickets/{ticket.pk}/follow-ups/", {"due_at": "2099-01-01T00:00:00Z"}, format="json")
    assert hidden.status_code == 404


def test_a_fired_reminder_stays_on_the_list_marked_due(team: Team, alice: AgentProfile) -> None:
    from datetime import timedelta

    ticket = services.create_ticket(actor=SYSTEM, team=team, subject="Parts", now=T0)
    services.schedule_follow_up(ticket_id=ticket.pk, actor=alice, due_at=at(60), now=T0, note="parts arrived?")
    assert services.fire_due_follow_ups(at(61)) == 1
    listed = selectors.my_follow_ups(agent=alice, now=at(120))
    assert [(f.note, f.fired_at is not None) for f in listed] == [("parts arrived?", True)]
    assert selectors.my_follow_ups(agent=alice, now=at(61) + timedelta(days=8)) == []
