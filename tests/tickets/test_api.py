"""The ticket desk REST API: list filters, paging and search, changes with audit, work actions, bulk, merge,
attachments, token auth, bad input, and a list page's constant query count."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from contactcenter.core.customers.models import Customer
from contactcenter.core.staff.models import AgentProfile, Team
from tests.factories import CustomerFactory
from tests.tickets.conftest import T0
from tickets import services
from tickets.access import SYSTEM
from tickets.api.schemas import BULK_MAX
from tickets.models import Source, Status, Ticket, TicketType, TimelineEntry

pytestmark = pytest.mark.django_db

LIST = "/api/tickets/"


def client_for(agent: AgentProfile) -> APIClient:
    client = APIClient()
    client.force_login(agent.user)
    return client


def url(ticket: Ticket | int, action: str = "") -> str:
    pk = ticket if isinstance(ticket, int) else ticket.pk
    return f"{LIST}{pk}/{action + '/' if action else ''}"


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def api(alice: AgentProfile) -> APIClient:
    return client_for(alice)


# ------------------------------------------------------------------------------------- the list


def test_the_list_filters_by_status_priority_tag_and_the_unassigned_pool(
    api: APIClient, make_ticket: Callable[..., Ticket], alice: AgentProfile
) -> None:
    urgent = make_ticket(priority="urgent", tags=["vip"])
    mine = make_ticket(assignee=alice)
    solved = make_ticket()
    services.solve_ticket(ticket_id=solved.pk, actor=SYSTEM, now=T0)
    assert ids(api.get(LIST, {"priority": "urgent"})) == [urgent.pk]
    assert ids(api.get(LIST, {"tag": "vip"})) == [urgent.pk]
    assert ids(api.get(LIST, {"status": "solved"})) == [solved.pk]
    assert set(ids(api.get(LIST, {"status": ["open", "solved"]}))) == {urgent.pk, mine.pk, solved.pk}
    assert ids(api.get(LIST, {"assignee": alice.pk})) == [mine.pk]
    assert set(ids(api.get(LIST, {"unassigned": "true", "status": "open"}))) == {urgent.pk}


def test_the_list_pages_with_next_and_previous_links(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    made = [make_ticket(subject=f"Bill {n}") for n in range(7)]
    first = api.get(LIST, {"page_size": 3, "sort": "number"}).json()
    assert first["count"] == 7
    assert [row["id"] for row in first["results"]] == [t.pk for t in made[:3]]
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == [t.pk for t in made[3:6]]
    assert "page=1" in second["previous"]
    last = api.get(second["next"]).json()
    assert [row["id"] for row in last["results"]] == [made[6].pk]
    assert last["next"] is None


def test_a_page_size_above_100_is_refused_with_the_field_named(api: APIClient) -> None:
    response = api.get(LIST, {"page_size": 101})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "page_size" in response.json()["details"]["fields"]


def test_unknown_query_parameters_and_sorts_are_refused(api: APIClient) -> None:
    unknown = api.get(LIST, {"stauts": "open"})
    bad_sort = api.get(LIST, {"sort": "subject"})
    assert unknown.status_code == bad_sort.status_code == 400
    assert "stauts" in unknown.json()["details"]["fields"]
    assert "sort" in bad_sort.json()["details"]["fields"]


def test_search_finds_english_words_chinese_text_and_the_ticket_number(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    water = make_ticket(subject="水费太高了", description="The refund never arrived")
    other = make_ticket(subject="Meter broken")
    assert ids(api.get(LIST, {"q": "refund"})) == [water.pk]
    assert ids(api.get(LIST, {"q": "水费"})) == [water.pk]
    assert ids(api.get(LIST, {"q": other.number})) == [other.pk]
    assert ids(api.get(LIST, {"q": "nothing-like-this"})) == []


def test_a_customers_tickets_are_listed_newest_first(api: APIClient, make_ticket: Callable[..., Ticket], customer: Customer) -> None:
    first = make_ticket()
    make_ticket(customer=CustomerFactory())
    second = make_ticket()
    assert ids(api.get(f"/api/customers/{customer.pk}/tickets/", {"sort": "-number"})) == [second.pk, first.pk]
    assert api.get("/api/customers/999999/tickets/").status_code == 404


def test_a_list_page_costs_the_same_queries_for_3_and_30_tickets(
    api: APIClient, make_ticket: Callable[..., Ticket], alice: AgentProfile, bob: AgentProfile
) -> None:
    kind = TicketType.objects.create(name="Repair", colour="#ff0000")

    def make(count: int) -> None:
        for n in range(count):
            make_ticket(subject=f"Bill {n}", tags=["vip", f"t{n % 3}"], ticket_type=kind, assignee=[None, alice, bob][n % 3])

    def queries_of_one_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(LIST, {"page_size": 100})
        assert response.status_code == 200
        return len(queries)

    make(3)
    api.get(LIST)  # the session and the agent's first load: not what is measured
    few = queries_of_one_page()
    make(27)
    many = queries_of_one_page()
    assert len(api.get(LIST, {"page_size": 100}).json()["results"]) == 30
    assert few == many


# --------------------------------------------------------------------------------- one ticket


def test_creating_a_ticket_validates_types_and_custom_fields(api: APIClient, team: Team) -> None:
    kind = TicketType.objects.create(name="Repair", field_schema=[{"name": "meter", "label": "Meter", "kind": "text", "required": True}])
    missing = api.post(LIST, {"team": team.pk, "subject": "Leak", "type": kind.pk}, format="json")
    assert missing.status_code == 400
    assert missing.json()["code"] == "invalid_custom_fields"
    made = api.post(LIST, {"team": team.pk, "subject": "Leak", "type": kind.pk, "custom_fields": {"meter": "M-7"}}, format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["number"].startswith("T-")
    assert body["custom_fields"] == {"meter": "M-7"}
    assert body["source"] == Source.AGENT


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"subject": 5}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"priority": "whenever"}, "priority"),
        ({"tags": "vip"}, "tags"),
        ({"stage": 999999}, "stage"),
        ({"asignee": 1}, "asignee"),
    ],
)
def test_bad_input_is_400_with_the_field_named(
    api: APIClient, make_ticket: Callable[..., Ticket], payload: dict[str, Any], field: str
) -> None:
    ticket = make_ticket()
    response = api.patch(url(ticket), payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["details"]["fields"]


def test_an_empty_change_is_refused(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    response = api.patch(url(make_ticket()), {}, format="json")
    assert response.status_code == 400


def test_a_change_is_audited_on_the_timeline_with_who(api: APIClient, make_ticket: Callable[..., Ticket], alice: AgentProfile) -> None:
    ticket = make_ticket()
    response = api.patch(url(ticket), {"priority": "high", "tags": ["vip", "Billing"]}, format="json")
    assert response.status_code == 200
    assert response.json()["priority"] == "high"
    assert response.json()["tags"] == ["billing", "vip"]
    timeline = api.get(url(ticket, "timeline")).json()["results"]
    changes = {e["field"]: e for e in timeline if e["kind"] == TimelineEntry.Kind.FIELD_CHANGE}
    assert changes["priority"]["old_value"] == "normal"
    assert changes["priority"]["new_value"] == "high"
    assert changes["priority"]["author"] == {"kind": "agent", "id": alice.pk, "name": "Alice"}


def test_moving_to_a_closing_stage_solves_the_ticket(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    ticket = make_ticket()
    closing = ticket.team.ticket_stages.filter(closing=True).order_by("position").first()
    assert closing is not None
    response = api.patch(url(ticket), {"stage": closing.pk}, format="json")
    assert response.json()["status"] == Status.SOLVED


def test_replies_and_notes_land_on_the_timeline_in_order(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    ticket = make_ticket()
    assert api.post(url(ticket, "replies"), {"body": "We are on it."}, format="json").status_code == 201
    assert api.post(url(ticket, "notes"), {"body": "Ask the plumber."}, format="json").status_code == 201
    kinds = [e["kind"] for e in api.get(url(ticket, "timeline")).json()["results"] if e["body"]]
    assert kinds[-2:] == [TimelineEntry.Kind.PUBLIC_REPLY, TimelineEntry.Kind.INTERNAL_NOTE]


def test_a_reply_to_a_closed_ticket_is_a_conflict(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    ticket = make_ticket()
    services.close_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=T0)
    response = api.post(url(ticket, "replies"), {"body": "Hello?"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"


# -------------------------------------------------------------------------------- attachments


def test_an_image_is_attached_as_an_internal_note_by_default(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    ticket = make_ticket()
    png = SimpleUploadedFile("meter.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="application/octet-stream")
    response = api.post(url(ticket, "attachments"), {"file": png}, format="multipart")
    assert response.status_code == 201, response.json()
    entry = response.json()
    assert entry["kind"] == TimelineEntry.Kind.INTERNAL_NOTE
    assert entry["body"] == "meter.png"
    assert entry["attachments"][0]["content_type"] == "image/png"


def test_a_public_attachment_is_a_reply(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    text = SimpleUploadedFile("steps.txt", "先关阀门 then call us".encode(), content_type="text/plain")
    response = api.post(url(make_ticket(), "attachments"), {"file": text, "visibility": "public", "body": "Steps"}, format="multipart")
    assert response.status_code == 201
    assert response.json()["kind"] == TimelineEntry.Kind.PUBLIC_REPLY


def test_markup_is_refused_whatever_the_client_says_it_is(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    page = SimpleUploadedFile("bill.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    response = api.post(url(make_ticket(), "attachments"), {"file": page}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["details"]["fields"]


def test_a_file_over_the_limit_is_413(api: APIClient, make_ticket: Callable[..., Ticket], settings: Any) -> None:
    settings.CC_ATTACHMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.txt", b"a" * 2048, content_type="text/plain")
    response = api.post(url(make_ticket(), "attachments"), {"file": big}, format="multipart")
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"


def _noted_file(ticket: Ticket, agent: AgentProfile, *, filename: str = "电表 reading.png", content: bytes = b"") -> Any:
    upload = services.AttachmentUpload(filename=filename, content=content or b"\x89PNG\r\n\x1a\n" + b"\x01" * 32, content_type="image/png")
    return services.add_note(ticket_id=ticket.pk, actor=agent, body="Photo of the meter", now=T0, attachments=[upload]).attachments.get()


def test_an_agent_downloads_an_attachment_as_a_file_of_its_stored_type(
    api: APIClient, make_ticket: Callable[..., Ticket], alice: AgentProfile
) -> None:
    ticket = make_ticket()
    attachment = _noted_file(ticket, alice)
    response = api.get(url(ticket, f"attachments/{attachment.pk}"), HTTP_ACCEPT="image/png")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x89PNG\r\n\x1a\n" + b"\x01" * 32
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "attachment; filename=\"__ reading.png\"; filename*=UTF-8''%E7%94%B5%E8%A1%A8%20reading.png"


def test_the_ticket_and_its_timeline_give_each_attachment_its_download_url(
    api: APIClient, make_ticket: Callable[..., Ticket], alice: AgentProfile
) -> None:
    ticket = make_ticket()
    attachment = _noted_file(ticket, alice)
    download = f"http://testserver{url(ticket, f'attachments/{attachment.pk}')}"
    timeline = api.get(url(ticket, "timeline")).json()["results"]
    assert [a["url"] for entry in timeline for a in entry["attachments"]] == [download]
    assert [a["url"] for a in api.get(url(ticket)).json()["attachments"]] == [download]
    assert api.get(download).status_code == 200


def test_an_uploaded_file_comes_back_from_the_url_in_the_answer(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    text = SimpleUploadedFile("steps.txt", "先关阀门 then call us".encode(), content_type="application/octet-stream")
    entry = api.post(url(make_ticket(), "attachments"), {"file": text}, format="multipart").json()
    response = api.get(entry["attachments"][0]["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert b"".join(response.streaming_content).decode() == "先关阀门 then call us"


def test_an_attachment_of_a_hidden_ticket_answers_like_a_missing_one(
    make_ticket: Callable[..., Ticket], alice: AgentProfile, outsider: AgentProfile
) -> None:
    ticket = make_ticket()
    attachment = _noted_file(ticket, alice)
    client = client_for(outsider)
    hidden = client.get(url(ticket, f"attachments/{attachment.pk}"))
    missing = client.get(url(ticket, "attachments/999999"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_an_attachment_is_found_only_under_its_own_ticket(api: APIClient, make_ticket: Callable[..., Ticket], alice: AgentProfile) -> None:
    attachment = _noted_file(make_ticket(), alice)
    other = make_ticket(subject="Another bill")
    assert api.get(url(other, f"attachments/{attachment.pk}")).status_code == 404


def test_an_attachment_whose_file_is_gone_is_404(api: APIClient, make_ticket: Callable[..., Ticket], alice: AgentProfile) -> None:
    ticket = make_ticket()
    attachment = _noted_file(ticket, alice)
    attachment.file.delete(save=False)
    response = api.get(url(ticket, f"attachments/{attachment.pk}"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# ------------------------------------------------------------------------------ work actions


def test_the_first_grab_wins_and_the_second_is_already_taken(
    make_ticket: Callable[..., Ticket], alice: AgentProfile, bob: AgentProfile
) -> None:
    ticket = make_ticket()
    first = client_for(alice).post(url(ticket, "grab"))
    second = client_for(bob).post(url(ticket, "grab"))
    assert first.status_code == 200
    assert first.json()["assignee"]["id"] == alice.pk
    assert second.status_code == 409
    assert second.json()["code"] == "already_taken"
    ticket.refresh_from_db()
    assert ticket.assignee_id == alice.pk


def test_assign_and_back_to_the_pool(api: APIClient, make_ticket: Callable[..., Ticket], bob: AgentProfile) -> None:
    ticket = make_ticket()
    assert api.post(url(ticket, "assign"), {"agent": bob.pk}, format="json").json()["assignee"]["id"] == bob.pk
    assert api.post(url(ticket, "assign"), {"agent": None}, format="json").json()["assignee"] is None


def test_redispatch_needs_a_reason(api: APIClient, make_ticket: Callable[..., Ticket], alice: AgentProfile, bob: AgentProfile) -> None:
    ticket = make_ticket(assignee=alice)
    assert api.post(url(ticket, "redispatch"), {}, format="json").status_code == 400
    moved = api.post(url(ticket, "redispatch"), {"reason": "On leave", "to_agent": bob.pk}, format="json")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["assignee"]["id"] == bob.pk


def test_urging_twice_at_once_is_429_with_retry_after(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    ticket = make_ticket()
    assert api.post(url(ticket, "urge"), {}, format="json").json()["urge_count"] == 1
    again = api.post(url(ticket, "urge"), {"note": "still"}, format="json")
    assert again.status_code == 429
    assert again.json()["code"] == "urged_recently"


def test_solve_close_and_reopen(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    ticket = make_ticket()
    assert api.post(url(ticket, "solve")).json()["status"] == Status.SOLVED
    assert api.post(url(ticket, "reopen")).json()["status"] == Status.OPEN
    assert api.post(url(ticket, "close")).json()["status"] == Status.CLOSED
    assert api.post(url(ticket, "close"), {"force": True}, format="json").status_code == 400


def test_merge_moves_the_timeline_and_points_to_the_survivor(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    survivor, merged = make_ticket(subject="Bill"), make_ticket(subject="Bill again")
    services.reply(ticket_id=merged.pk, actor=SYSTEM, body="From the merged one", now=T0)
    response = api.post(url(merged, "merge"), {"into": survivor.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == survivor.pk
    assert api.get(url(merged)).json()["merged_into"] == survivor.pk
    assert "From the merged one" in [e["body"] for e in api.get(url(survivor, "timeline")).json()["results"]]
    assert api.post(url(survivor, "merge"), {"into": survivor.pk}, format="json").json()["code"] == "merge_refused"


def test_merging_across_customers_is_refused(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    mine, theirs = make_ticket(), make_ticket(customer=CustomerFactory())
    response = api.post(url(mine, "merge"), {"into": theirs.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "merge_refused"


def test_links_are_made_listed_and_removed(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    parent, child = make_ticket(), make_ticket()
    made = api.post(url(parent, "links"), {"to": child.pk, "kind": "parent"}, format="json")
    assert made.status_code == 201, made.json()
    link = made.json()
    assert (link["from_ticket"], link["to_ticket"], link["kind"]) == (parent.pk, child.pk, "parent")
    assert [row["id"] for row in api.get(url(child, "links")).json()["results"]] == [link["id"]]
    assert api.delete(f"{url(child, 'links')}{link['id']}/").status_code == 204
    assert api.get(url(parent, "links")).json()["results"] == []


# ------------------------------------------------------------------------------------------ bulk


def test_bulk_assigns_tags_and_closes_many_tickets(api: APIClient, make_ticket: Callable[..., Ticket], bob: AgentProfile) -> None:
    tickets = [make_ticket(subject=f"Bill {n}") for n in range(5)]
    every = [t.pk for t in tickets]
    assigned = api.post("/api/tickets/bulk/", {"ids": every, "assignee": bob.pk, "add_tags": ["vip"]}, format="json")
    assert assigned.status_code == 200, assigned.json()
    assert sorted(assigned.json()["ticket_ids"]) == sorted(every)
    assert set(Ticket.objects.values_list("assignee_id", flat=True)) == {bob.pk}
    assert set(ids(api.get(LIST, {"tag": "vip"}))) == set(every)
    closed = api.post("/api/tickets/bulk/", {"ids": every, "status": "closed"}, format="json")
    assert closed.status_code == 200
    assert set(Ticket.objects.values_list("status", flat=True)) == {Status.CLOSED}


def test_bulk_moves_tickets_to_a_stage(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    tickets = [make_ticket(), make_ticket()]
    stage = tickets[0].team.ticket_stages.order_by("position")[1]
    response = api.post("/api/tickets/bulk/", {"ids": [t.pk for t in tickets], "stage": stage.pk}, format="json")
    assert response.status_code == 200
    assert set(Ticket.objects.values_list("stage_id", flat=True)) == {stage.pk}


def test_bulk_merge(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    survivor, *others = [make_ticket() for _ in range(3)]
    response = api.post("/api/tickets/bulk/", {"ids": [t.pk for t in [survivor, *others]], "merge_into": survivor.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in others]).values_list("merged_into_id", flat=True)) == {survivor.pk}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"ids": list(range(1, BULK_MAX + 2)), "priority": "high"}, "ids"),
        ({"ids": [], "priority": "high"}, "ids"),
        ({"ids": ["1"], "priority": "high"}, "ids"),
        ({"ids": [1], "merge_into": 2, "priority": "high"}, "merge_into"),
    ],
)
def test_bulk_refuses_bad_selections(api: APIClient, payload: dict[str, Any], field: str) -> None:
    response = api.post("/api/tickets/bulk/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["details"]["fields"]


def test_bulk_without_a_change_is_refused(api: APIClient, make_ticket: Callable[..., Ticket]) -> None:
    assert api.post("/api/tickets/bulk/", {"ids": [make_ticket().pk]}, format="json").status_code == 400


# ------------------------------------------------------------------------------- types and tokens


def test_ticket_types_list_the_active_ones_with_their_templates(api: APIClient) -> None:
    TicketType.objects.create(name="Repair", colour="#ff0000", field_schema=[{"name": "meter", "label": "Meter", "kind": "text"}])
    TicketType.objects.create(name="Old", is_active=False)
    results = api.get("/api/ticket-types/").json()["results"]
    assert [(t["name"], t["colour"], t["field_schema"][0]["name"]) for t in results] == [("Repair", "#ff0000", "meter")]


def test_an_integration_with_a_token_creates_api_tickets_without_csrf(alice: AgentProfile, team: Team) -> None:
    token = Token.objects.create(user=alice.user)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.post(LIST, {"team": team.pk, "subject": "From the CRM"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["source"] == Source.API
