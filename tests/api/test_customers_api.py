"""The agents' customer API: look-up by name, e-mail and phone with paging, one record, creating by hand,
changes by supervisors only, strict input, and a page's constant query count.

Who may call which route is in tests/tickets/test_api_permissions.py (the one matrix of the agents' API)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from contactcenter.core.customers.models import Customer, CustomerIdentity
from contactcenter.core.staff.models import AgentProfile
from tests.factories import AgentFactory, CustomerFactory

pytestmark = pytest.mark.django_db

LIST = "/api/customers/"


def client_for(agent: AgentProfile) -> APIClient:
    client = APIClient()
    client.force_login(agent.user)
    return client


@pytest.fixture
def agent() -> AgentProfile:
    return AgentFactory(display_name="Alice")


@pytest.fixture
def supervisor() -> AgentProfile:
    return AgentFactory(display_name="Sue", role=AgentProfile.Role.SUPERVISOR)


@pytest.fixture
def api(agent: AgentProfile) -> APIClient:
    return client_for(agent)


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


def detail(customer: Customer) -> str:
    return f"{LIST}{customer.pk}/"


# ---------------------------------------------------------------------------------------- look-up


def test_customers_are_found_by_part_of_a_name_an_email_or_a_phone(api: APIClient) -> None:
    CustomerFactory(name="王芳", email="wang.fang@example.com", phone="+8613800138000")
    CustomerFactory(name="Li Lei", email="lilei@example.org", phone="+8613900000001")
    assert names(api.get(LIST, {"q": "芳"})) == ["王芳"]
    assert names(api.get(LIST, {"q": "LILEI@"})) == ["Li Lei"]
    assert names(api.get(LIST, {"q": "138 0013 8000"})) == ["王芳"]
    assert names(api.get(LIST, {"q": "00000001"})) == ["Li Lei"]
    assert names(api.get(LIST, {"q": "nobody"})) == []


def test_a_known_email_identity_finds_its_customer_but_a_visitor_id_does_not(api: APIClient) -> None:
    customer = CustomerFactory(name="Zhang Wei", email="")
    CustomerIdentity.objects.create(customer=customer, kind=CustomerIdentity.Kind.EMAIL, value="zw@example.net")
    CustomerIdentity.objects.create(customer=customer, kind=CustomerIdentity.Kind.VISITOR, value="visitor-cookie-123")
    assert names(api.get(LIST, {"q": "zw@example"})) == ["Zhang Wei"]
    assert names(api.get(LIST, {"q": "visitor-cookie"})) == []
    identities = api.get(detail(customer)).json()["identities"]
    assert identities == [{"kind": "email", "value": "zw@example.net", "verified": False}]


def test_the_list_pages_like_the_ticket_list(api: APIClient) -> None:
    for n in range(5):
        CustomerFactory(name=f"Customer {n}")
    first = api.get(LIST, {"page_size": 2, "sort": "name"}).json()
    assert first["count"] == 5
    assert [row["name"] for row in first["results"]] == ["Customer 0", "Customer 1"]
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    assert [row["name"] for row in second["results"]] == ["Customer 2", "Customer 3"]
    last = api.get(second["next"]).json()
    assert [row["name"] for row in last["results"]] == ["Customer 4"]
    assert last["next"] is None
    assert "page=2" in last["previous"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"page_size": 101}, "page_size"), ({"sort": "email"}, "sort"), ({"name": "x"}, "name"), ({"q": "x" * 201}, "q")],
)
def test_bad_query_parameters_are_refused_with_the_field_named(api: APIClient, params: dict[str, Any], field: str) -> None:
    response = api.get(LIST, params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["details"]["fields"]


def test_a_page_costs_the_same_queries_for_3_and_30_customers(api: APIClient) -> None:
    def make(count: int) -> None:
        for _ in range(count):
            customer = CustomerFactory()
            CustomerIdentity.objects.create(customer=customer, kind=CustomerIdentity.Kind.PHONE, value=f"+86139{customer.pk:08d}")

    def queries_of_one_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(LIST, {"page_size": 100, "q": "customer"})
        assert response.status_code == 200
        return len(queries)

    make(3)
    api.get(LIST)  # the session and the agent's first load: not what is measured
    few = queries_of_one_page()
    make(27)
    many = queries_of_one_page()
    assert len(api.get(LIST, {"page_size": 100}).json()["results"]) == 30
    assert few == many


def test_a_missing_customer_is_404(api: APIClient) -> None:
    response = api.get(f"{LIST}999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --------------------------------------------------------------------------------------- creating


def test_an_agent_enters_a_caller_with_normalised_contact_details(api: APIClient) -> None:
    response = api.post(
        LIST, {"name": " Li Lei ", "email": "Li.Lei@Example.ORG", "phone": "+86 (138) 0013-8000", "language": "zh-hans"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["email"], body["phone"], body["language"]) == ("Li Lei", "li.lei@example.org", "+8613800138000", "zh-hans")
    assert body["identities"] == []  # entered by hand: nothing verified, nothing merged
    assert Customer.objects.get(pk=body["id"]).phone == "+8613800138000"


def test_a_customer_without_name_email_or_phone_is_refused(api: APIClient) -> None:
    response = api.post(LIST, {"notes": "called about something"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["details"]["fields"]
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": 5}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"email": ["a@example.com"]}, "email"),
        ({"phone": "call me maybe"}, "phone"),
        ({"phone": "+1"}, "phone"),
        ({"phone": 13800138000}, "phone"),
        ({"name": "Li", "language": "fr"}, "language"),
        ({"name": "Li", "tags": "vip"}, "tags"),
        ({"name": "Li", "tags": [1]}, "tags"),
        ({"name": "Li", "vip": True}, "vip"),
    ],
)
def test_bad_input_is_400_with_the_field_named(api: APIClient, payload: dict[str, Any], field: str) -> None:
    response = api.post(LIST, payload, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert field in response.json()["details"]["fields"]


def test_a_json_body_that_is_not_an_object_is_400(api: APIClient) -> None:
    response = api.post(LIST, ["name"], format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


# --------------------------------------------------------------------------------------- changing


def test_a_supervisor_changes_a_customers_email_and_tags(supervisor: AgentProfile) -> None:
    customer = CustomerFactory(name="Wang Fang", email="old@example.com")
    response = client_for(supervisor).patch(detail(customer), {"email": "New@Example.com", "tags": ["vip", " vip", "b2b"]}, format="json")
    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert (customer.email, customer.tags, customer.name) == ("new@example.com", ["vip", "b2b"], "Wang Fang")


def test_an_agent_may_not_change_a_customer_and_is_told_so_before_the_input_is_judged(api: APIClient) -> None:
    customer = CustomerFactory(name="Wang Fang", email="old@example.com")
    refused = api.patch(detail(customer), {"email": "mine@example.com"}, format="json")
    invalid = api.patch(detail(customer), {"email": 5}, format="json")
    assert refused.status_code == invalid.status_code == 403
    assert refused.json()["details"]["reason"] == "not_a_supervisor"
    customer.refresh_from_db()
    assert customer.email == "old@example.com"


def test_a_change_may_not_leave_a_customer_without_name_email_or_phone(supervisor: AgentProfile) -> None:
    customer = CustomerFactory(name="Wang Fang", email="", phone="")
    response = client_for(supervisor).patch(detail(customer), {"name": ""}, format="json")
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.name == "Wang Fang"


def test_an_empty_change_is_refused(supervisor: AgentProfile) -> None:
    response = client_for(supervisor).patch(detail(CustomerFactory()), {}, format="json")
    assert response.status_code == 400


def test_changing_a_missing_customer_is_404(supervisor: AgentProfile) -> None:
    assert client_for(supervisor).patch(f"{LIST}999999/", {"name": "X"}, format="json").status_code == 404
