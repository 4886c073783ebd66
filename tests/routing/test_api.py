"""The queue configuration API: supervisors only, validated, errors as {code, message, details}."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from contactcenter.core.staff.models import AgentProfile, Skill
from routing.models import Queue
from tests.factories import AgentFactory, TeamFactory
from tests.routing.helpers import make_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor_client() -> APIClient:
    client = APIClient()
    client.force_authenticate(AgentFactory(role=AgentProfile.Role.SUPERVISOR).user)
    return client


def queue_body(**fields: Any) -> dict[str, Any]:
    return {"name": "Sales", "team": TeamFactory().pk, "kind": "chat", "strategy": "least_load", **fields}


def test_a_supervisor_creates_a_queue(supervisor_client: APIClient) -> None:
    response = supervisor_client.post("/api/routing/queues/", queue_body(params={"measure": "today"}), format="json")
    assert response.status_code == 201, response.json()
    assert Queue.objects.get(pk=response.json()["id"]).policy().strategy.measure == "today"


def test_an_agent_may_not_change_routing() -> None:
    client = APIClient()
    client.force_authenticate(AgentFactory().user)
    response = client.post("/api/routing/queues/", queue_body(), format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_an_unknown_skill_is_a_field_error(supervisor_client: APIClient) -> None:
    Skill.objects.create(name="Billing", slug="billing")
    response = supervisor_client.post("/api/routing/queues/", queue_body(required_skills={"billing": 2, "legal": 1}), format="json")
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "invalid")
    assert "unknown skill: legal" in body["details"]["fields"]["required_skills"][0]


def test_a_negative_timeout_is_a_field_error(supervisor_client: APIClient) -> None:
    queue = make_queue()
    response = supervisor_client.patch(f"/api/routing/queues/{queue.pk}/", {"offer_timeout_s": -1}, format="json")
    assert response.status_code == 400
    assert response.json()["details"]["fields"]["offer_timeout_s"] == ["must not be negative"]


def test_a_bad_strategy_parameter_names_its_path(supervisor_client: APIClient) -> None:
    queue = make_queue(strategy="returning_customer")
    response = supervisor_client.patch(
        f"/api/routing/queues/{queue.pk}/", {"params": {"fallback": {"strategy": "returning_customer"}}}, format="json"
    )
    assert response.status_code == 400
    assert "strategy.params.fallback" in response.json()["details"]["fields"]["params"][0]


def test_a_queue_is_read_changed_and_deleted(supervisor_client: APIClient) -> None:
    queue = make_queue()
    url = f"/api/routing/queues/{queue.pk}/"
    assert supervisor_client.get(url).json()["name"] == queue.name
    assert supervisor_client.patch(url, {"auto_accept": True}, format="json").json()["auto_accept"] is True
    assert supervisor_client.delete(url).status_code == 204
    assert supervisor_client.get(url).json()["code"] == "not_found"


def test_a_supervisor_adds_a_source_rule_that_routes_vips(supervisor_client: APIClient) -> None:
    vip = make_queue()
    body = {"name": "VIP", "position": 1, "kind": "chat", "customer_tags": ["VIP"], "queue": vip.pk, "priority": 5}
    response = supervisor_client.post("/api/routing/source-rules/", body, format="json")
    assert response.status_code == 201, response.json()
    from routing.services import route_by_source

    assert route_by_source(kind="chat", source={"customer_tags": ["VIP"]}, language=None) == (vip, 5)


def test_a_source_rule_with_a_broken_regex_is_a_field_error(supervisor_client: APIClient) -> None:
    body = {"name": "broken", "kind": "chat", "page_url_regex": "([", "queue": make_queue().pk}
    response = supervisor_client.post("/api/routing/source-rules/", body, format="json")
    assert response.status_code == 400
    assert "not a valid regular expression" in response.json()["details"]["fields"]["page_url_regex"][0]
