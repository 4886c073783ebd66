"""Who may call which agents' API endpoint: every route of tickets/urls.py and of the customer records
(contactcenter/core/customers/urls.py) × every role, and swapped ids (IDOR).

The matrix is checked against the URL patterns themselves: a new route, or a new method on one,
without an entry here fails ``test_every_route_and_method_is_in_the_matrix``. A ticket one may not
see is 404 — the same answer as a missing id — never a 403 that would tell it exists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from contactcenter.core.customers import urls as customer_urls
from contactcenter.core.customers.models import Customer
from contactcenter.core.staff.models import AgentProfile, Team
from tests.factories import AgentFactory
from tests.tickets.conftest import T0
from tickets import services, urls
from tickets.access import SYSTEM
from tickets.models import Status, Ticket, TicketLink, TimelineEntry

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "agent_of_another_team", "agent_of_the_team", "supervisor", "admin", "token_user"]

OK = "ok"  # 2xx
OK_WITHOUT = "ok_without"  # 200, but the team's ticket is not in the results
HIDDEN = "hidden"  # 404, as for a missing id
DENIED = "denied"  # 401/403: not signed in, or not allowed to do this at all


@dataclass
class World:
    team: Team
    member: AgentProfile
    outsider: AgentProfile
    customer: Customer
    ticket: Ticket  # of the team, unassigned, open
    sibling: Ticket  # another ticket of the team and customer

    def make(self, **fields: Any) -> Ticket:
        fields.setdefault("subject", "Water bill too high")
        return services.create_ticket(actor=SYSTEM, team=self.team, customer=self.customer, now=T0, **fields)


@dataclass
class Call:
    method: str
    url: str
    body: Any = None
    multipart: bool = False


def _ticket_url(w: World, action: str = "") -> str:
    return f"/api/tickets/{w.ticket.pk}/{action + '/' if action else ''}"


def _png() -> SimpleUploadedFile:
    return SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")


def _assigned_to_member(w: World) -> None:
    services.assign_ticket(ticket_id=w.ticket.pk, actor=SYSTEM, agent=w.member, now=T0)


def _solved(w: World) -> None:
    services.solve_ticket(ticket_id=w.ticket.pk, actor=SYSTEM, now=T0)


def _noted_file(w: World) -> int:
    upload = services.AttachmentUpload(filename="shot.png", content=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    return services.add_note(ticket_id=w.ticket.pk, actor=SYSTEM, body="Shot", now=T0, attachments=[upload]).attachments.get().pk


def _linked(w: World) -> int:
    return services.link_tickets(ticket_id=w.ticket.pk, other_id=w.sibling.pk, kind="related", actor=SYSTEM, now=T0).pk


SEES_TICKET = {
    "anonymous": DENIED,
    "agent_of_another_team": HIDDEN,
    "agent_of_the_team": OK,
    "supervisor": OK,
    "admin": OK,
    "token_user": OK,
}
LISTS_TICKET = {**SEES_TICKET, "agent_of_another_team": OK_WITHOUT}
ANY_AGENT = {**SEES_TICKET, "agent_of_another_team": OK}
TEAM_WORK = {**SEES_TICKET, "agent_of_another_team": DENIED}  # not about one ticket: creating in a team one is not in
# Changing a customer record: supervisors and admins only (e-mail and phone decide whom the bot and the portal answer).
SUPERVISORS = {**SEES_TICKET, "agent_of_another_team": DENIED, "agent_of_the_team": DENIED, "token_user": DENIED}
# A personal saved view of the team's agent (the token user is that agent): nobody else sees it, supervisors neither.
OWNS_VIEW = {**SEES_TICKET, "supervisor": HIDDEN, "admin": HIDDEN}


def _follow_up_url(w: World) -> str:
    from datetime import timedelta

    from django.utils import timezone

    due = timezone.now() + timedelta(hours=2)
    follow_up = services.schedule_follow_up(ticket_id=w.ticket.pk, actor=w.member, due_at=due, now=timezone.now(), note="Call back")
    return f"/api/tickets/follow-ups/{follow_up.pk}/"


def _view_url(w: World) -> str:
    from tickets.models import SavedView

    view = SavedView.objects.create(name="Mine", owner=w.member, query={"status": ["open"]}, created_at=T0, updated_at=T0)
    return f"/api/tickets/views/{view.pk}/"


@dataclass
class Case:
    call: Callable[[World], Call]
    expected: dict[str, str]


MATRIX: dict[str, dict[str, Case]] = {
    "tickets": {
        "GET": Case(lambda w: Call("get", "/api/tickets/"), LISTS_TICKET),
        "POST": Case(lambda w: Call("post", "/api/tickets/", {"team": w.team.pk, "subject": "Meter broken"}), TEAM_WORK),
    },
    "tickets-bulk": {
        "POST": Case(lambda w: Call("post", "/api/tickets/bulk/", {"ids": [w.ticket.pk], "priority": "high"}), SEES_TICKET),
    },
    "tickets-desk": {"GET": Case(lambda w: Call("get", "/api/tickets/desk/"), ANY_AGENT)},
    "tickets-ids": {"GET": Case(lambda w: Call("get", "/api/tickets/ids/?status=open"), ANY_AGENT)},
    "tickets-views": {
        "GET": Case(lambda w: Call("get", "/api/tickets/views/"), ANY_AGENT),
        "POST": Case(lambda w: Call("post", "/api/tickets/views/", {"name": "Urgent", "query": {"priority": ["urgent"]}}), ANY_AGENT),
    },
    "tickets-view": {
        "PATCH": Case(lambda w: Call("patch", _view_url(w), {"name": "Mine, renamed"}), OWNS_VIEW),
        "DELETE": Case(lambda w: Call("delete", _view_url(w)), OWNS_VIEW),
    },
    "tickets-follow-ups": {"GET": Case(lambda w: Call("get", "/api/tickets/follow-ups/"), ANY_AGENT)},
    "tickets-follow-up": {"DELETE": Case(lambda w: Call("delete", _follow_up_url(w)), SEES_TICKET)},
    "ticket-follow-ups": {
        "GET": Case(lambda w: Call("get", _ticket_url(w, "follow-ups")), SEES_TICKET),
        "POST": Case(
            lambda w: Call("post", _ticket_url(w, "follow-ups"), {"due_at": "2099-01-01T09:00:00Z", "note": "Check"}), SEES_TICKET
        ),
    },
    "ticket-by-number": {"GET": Case(lambda w: Call("get", f"/api/tickets/by-number/{w.ticket.number}/"), SEES_TICKET)},
    "ticket": {
        "GET": Case(lambda w: Call("get", _ticket_url(w)), SEES_TICKET),
        "PATCH": Case(lambda w: Call("patch", _ticket_url(w), {"priority": "urgent", "tags": ["vip"]}), SEES_TICKET),
    },
    "ticket-timeline": {"GET": Case(lambda w: Call("get", _ticket_url(w, "timeline")), SEES_TICKET)},
    "ticket-replies": {"POST": Case(lambda w: Call("post", _ticket_url(w, "replies"), {"body": "We are on it."}), SEES_TICKET)},
    "ticket-notes": {"POST": Case(lambda w: Call("post", _ticket_url(w, "notes"), {"body": "Call the plumber."}), SEES_TICKET)},
    "ticket-attachments": {
        "POST": Case(lambda w: Call("post", _ticket_url(w, "attachments"), {"file": _png()}, multipart=True), SEES_TICKET)
    },
    "ticket-attachment": {"GET": Case(lambda w: Call("get", _ticket_url(w, f"attachments/{_noted_file(w)}")), SEES_TICKET)},
    "ticket-assign": {"POST": Case(lambda w: Call("post", _ticket_url(w, "assign"), {"agent": w.member.pk}), SEES_TICKET)},
    "ticket-grab": {"POST": Case(lambda w: Call("post", _ticket_url(w, "grab")), SEES_TICKET)},
    "ticket-dispatch": {"POST": Case(lambda w: Call("post", _ticket_url(w, "dispatch")), SEES_TICKET)},
    "ticket-redispatch": {
        "POST": Case(lambda w: (_assigned_to_member(w), Call("post", _ticket_url(w, "redispatch"), {"reason": "On leave"}))[1], SEES_TICKET)
    },
    "ticket-urge": {"POST": Case(lambda w: Call("post", _ticket_url(w, "urge"), {"note": "Customer called again"}), SEES_TICKET)},
    "ticket-solve": {"POST": Case(lambda w: Call("post", _ticket_url(w, "solve")), SEES_TICKET)},
    "ticket-close": {"POST": Case(lambda w: Call("post", _ticket_url(w, "close")), SEES_TICKET)},
    "ticket-reopen": {"POST": Case(lambda w: (_solved(w), Call("post", _ticket_url(w, "reopen")))[1], SEES_TICKET)},
    "ticket-merge": {"POST": Case(lambda w: Call("post", _ticket_url(w, "merge"), {"into": w.sibling.pk}), SEES_TICKET)},
    "ticket-links": {
        "GET": Case(lambda w: Call("get", _ticket_url(w, "links")), SEES_TICKET),
        "POST": Case(lambda w: Call("post", _ticket_url(w, "links"), {"to": w.sibling.pk, "kind": "parent"}), SEES_TICKET),
    },
    "ticket-link": {"DELETE": Case(lambda w: Call("delete", f"{_ticket_url(w, 'links')}{_linked(w)}/"), SEES_TICKET)},
    "ticket-types": {"GET": Case(lambda w: Call("get", "/api/ticket-types/"), ANY_AGENT)},
    "customer-tickets": {"GET": Case(lambda w: Call("get", f"/api/customers/{w.customer.pk}/tickets/"), LISTS_TICKET)},
    "customers": {
        "GET": Case(lambda w: Call("get", "/api/customers/?q=wang"), ANY_AGENT),
        "POST": Case(lambda w: Call("post", "/api/customers/", {"name": "Li Lei", "phone": "+86 138 0013 8000"}), ANY_AGENT),
    },
    "customer": {
        "GET": Case(lambda w: Call("get", f"/api/customers/{w.customer.pk}/"), ANY_AGENT),
        "PATCH": Case(lambda w: Call("patch", f"/api/customers/{w.customer.pk}/", {"email": "fang@example.com"}), SUPERVISORS),
    },
}


def _methods_of(pattern: Any) -> set[str]:
    view = pattern.callback.view_class
    return {m.upper() for m in view.http_method_names if m not in ("options", "head") and hasattr(view, m)}


def test_every_route_and_method_is_in_the_matrix() -> None:
    routes = {pattern.name: _methods_of(pattern) for pattern in [*urls.urlpatterns, *customer_urls.urlpatterns]}
    assert routes == {name: set(cases) for name, cases in MATRIX.items()}
    for cases in MATRIX.values():
        for case in cases.values():
            assert set(case.expected) == set(ROLES)


@pytest.fixture
def world(team: Team, other_team: Team, alice: AgentProfile, outsider: AgentProfile, customer: Customer) -> World:
    ticket = services.create_ticket(actor=SYSTEM, team=team, customer=customer, subject="Water bill too high", now=T0)
    sibling = services.create_ticket(actor=SYSTEM, team=team, customer=customer, subject="Water bill again", now=T0)
    # Something the outsider does see, so their empty answers are not empty by accident.
    services.create_ticket(actor=SYSTEM, team=other_team, customer=customer, subject="Broken pipe", now=T0)
    return World(team=team, member=alice, outsider=outsider, customer=customer, ticket=ticket, sibling=sibling)


def client_as(role: str, w: World) -> APIClient:
    client = APIClient()
    if role == "anonymous":
        return client
    if role == "token_user":
        token = Token.objects.create(user=w.member.user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client
    agent = {
        "agent_of_another_team": lambda: w.outsider,
        "agent_of_the_team": lambda: w.member,
        "supervisor": lambda: AgentFactory(role=AgentProfile.Role.SUPERVISOR),
        "admin": lambda: AgentFactory(role=AgentProfile.Role.ADMIN),
    }[role]()
    client.force_login(agent.user)
    return client


def send(client: APIClient, call: Call) -> Any:
    method = getattr(client, call.method)
    if call.body is None:
        return method(call.url)
    return method(call.url, call.body, format="multipart" if call.multipart else "json")


#: Routes whose GET answers a page of tickets: whether the team's ticket is in it is part of the expectation.
TICKET_LISTS = {"tickets", "customer-tickets"}
CASES = [(name, method, role) for name, cases in MATRIX.items() for method in cases for role in ROLES]


@pytest.mark.parametrize(("route", "method", "role"), CASES, ids=[f"{r}-{m}-{role}" for r, m, role in CASES])
def test_permission_matrix(world: World, route: str, method: str, role: str) -> None:
    case = MATRIX[route][method]
    call = case.call(world)
    response = send(client_as(role, world), call)
    expected = case.expected[role]
    body = response.json() if not response.streaming and response.content else {}
    if expected == DENIED:
        assert response.status_code in (401, 403), (response.status_code, body)
    elif expected == HIDDEN:
        assert response.status_code == 404, (response.status_code, body)
        assert body["code"] == "not_found"
    else:
        assert 200 <= response.status_code < 300, (response.status_code, body)
        if route in TICKET_LISTS and call.method == "get":
            ids = {row["id"] for row in body["results"]}
            assert (world.ticket.pk in ids) == (expected == OK), ids
        if route == "tickets-ids":  # every agent may ask; the team's ticket is among the ids only for those who see it
            assert (world.ticket.pk in body["ids"]) == (SEES_TICKET[role] == OK), body


def test_a_hidden_ticket_answers_like_a_missing_one(world: World) -> None:
    client = client_as("agent_of_another_team", world)
    hidden = client.get(_ticket_url(world)).json()
    missing = client.get("/api/tickets/999999/").json()
    assert hidden == missing


def test_hidden_ticket_is_404_even_with_invalid_input(world: World) -> None:
    # Validation first would say "this id exists" with a 400.
    response = client_as("agent_of_another_team", world).patch(_ticket_url(world), {"priority": 5}, format="json")
    assert response.status_code == 404


# ------------------------------------------------------------------------------- swapped ids (IDOR)


@pytest.fixture
def own_ticket(world: World, other_team: Team) -> Ticket:
    """The outsider's own ticket: the id in the URL they may use."""
    return Ticket.objects.get(team=other_team)


def test_merging_ones_own_ticket_into_a_hidden_one_is_404_and_changes_nothing(world: World, own_ticket: Ticket) -> None:
    response = client_as("agent_of_another_team", world).post(
        f"/api/tickets/{own_ticket.pk}/merge/", {"into": world.ticket.pk}, format="json"
    )
    assert response.status_code == 404
    own_ticket.refresh_from_db()
    assert own_ticket.merged_into_id is None


def test_linking_to_a_hidden_ticket_is_404(world: World, own_ticket: Ticket) -> None:
    response = client_as("agent_of_another_team", world).post(
        f"/api/tickets/{own_ticket.pk}/links/", {"to": world.ticket.pk, "kind": "related"}, format="json"
    )
    assert response.status_code == 404
    assert not TicketLink.objects.exists()


def test_deleting_another_tickets_link_through_ones_own_ticket_is_404(world: World, own_ticket: Ticket) -> None:
    link_id = _linked(world)
    response = client_as("agent_of_another_team", world).delete(f"/api/tickets/{own_ticket.pk}/links/{link_id}/")
    assert response.status_code == 404
    assert TicketLink.objects.filter(pk=link_id).exists()


def test_a_bulk_change_with_one_hidden_id_is_404_and_changes_nothing(world: World, own_ticket: Ticket) -> None:
    response = client_as("agent_of_another_team", world).post(
        "/api/tickets/bulk/", {"ids": [own_ticket.pk, world.ticket.pk], "status": "closed"}, format="json"
    )
    assert response.status_code == 404
    assert set(Ticket.objects.values_list("status", flat=True)) == {Status.OPEN}


def test_a_bulk_merge_into_a_hidden_ticket_is_404(world: World, own_ticket: Ticket) -> None:
    response = client_as("agent_of_another_team", world).post(
        "/api/tickets/bulk/", {"ids": [own_ticket.pk], "merge_into": world.ticket.pk}, format="json"
    )
    assert response.status_code == 404
    own_ticket.refresh_from_db()
    assert own_ticket.merged_into_id is None


def test_links_to_a_hidden_ticket_are_not_listed(world: World, own_ticket: Ticket) -> None:
    services.link_tickets(ticket_id=own_ticket.pk, other_id=world.ticket.pk, kind="related", actor=SYSTEM, now=T0)
    response = client_as("agent_of_another_team", world).get(f"/api/tickets/{own_ticket.pk}/links/")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_filtering_the_list_by_a_hidden_team_or_customer_finds_nothing_hidden(world: World) -> None:
    client = client_as("agent_of_another_team", world)
    by_team = client.get("/api/tickets/", {"team": world.team.pk}).json()
    by_customer = client.get(f"/api/customers/{world.customer.pk}/tickets/").json()
    assert by_team["count"] == 0
    assert world.ticket.pk not in {row["id"] for row in by_customer["results"]}


def test_assigning_to_an_agent_outside_the_team_is_refused(world: World) -> None:
    response = client_as("agent_of_the_team", world).post(_ticket_url(world, "assign"), {"agent": world.outsider.pk}, format="json")
    assert response.status_code == 403
    world.ticket.refresh_from_db()
    assert world.ticket.assignee_id is None


def test_an_outsider_cannot_grab_a_hidden_ticket(world: World) -> None:
    response = client_as("agent_of_another_team", world).post(_ticket_url(world, "grab"))
    assert response.status_code == 404
    world.ticket.refresh_from_db()
    assert world.ticket.assignee_id is None


def test_a_signed_in_user_who_is_not_an_agent_is_refused(world: World) -> None:
    from tests.factories import UserFactory

    client = APIClient()
    client.force_login(UserFactory())
    response = client.get(_ticket_url(world))
    assert response.status_code == 403
    assert response.json()["details"]["reason"] == "not_an_agent"


def test_a_wrong_token_is_refused(world: World) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/tickets/").status_code in (401, 403)


# ------------------------------------------------------------------------- internal notes stay inside


def test_internal_notes_appear_only_on_the_agents_timeline(world: World) -> None:
    services.add_note(ticket_id=world.ticket.pk, actor=world.member, body="secret-plumber-number 555", now=T0)
    client = client_as("agent_of_the_team", world)
    answers = [
        client.get(_ticket_url(world)),
        client.get("/api/tickets/"),
        client.get(f"/api/customers/{world.customer.pk}/tickets/"),
        client.get("/api/tickets/", {"q": "secret-plumber-number"}),
        client.post(_ticket_url(world, "replies"), {"body": "We are on it."}, format="json"),
    ]
    for response in answers:
        assert response.status_code in (200, 201)
        assert "secret-plumber-number" not in response.content.decode()
    timeline = client.get(_ticket_url(world, "timeline")).json()["results"]
    assert [e["kind"] for e in timeline if "secret-plumber-number" in e["body"]] == [TimelineEntry.Kind.INTERNAL_NOTE]
