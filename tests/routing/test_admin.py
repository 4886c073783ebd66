"""Every routing table has a working admin list and form; the queue form shows validation errors."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from routing import services
from tests.routing.helpers import at, make_agent, make_queue

pytestmark = pytest.mark.django_db

MODELS = ["queue", "queueentry", "offer", "agentroutingstate", "queuestate", "sourcerule"]


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.mark.parametrize("model", MODELS)
def test_the_admin_lists_and_adds(admin_client: Client, model: str) -> None:
    queue = make_queue()
    make_agent(team=queue.team)
    services.enqueue(kind="chat", item_id=1, queue=queue, now=at(0))
    services.dispatch(now=at(1))
    assert admin_client.get(f"/admin/routing/{model}/").status_code == 200
    assert admin_client.get(f"/admin/routing/{model}/add/").status_code == 200


def test_the_queue_form_refuses_a_negative_strategy_parameter(admin_client: Client) -> None:
    team = make_queue().team
    form = {
        "name": "Refunds",
        "team": team.pk,
        "kind": "chat",
        "strategy": "returning_customer",
        "params": '{"wait_s": -3}',
        "match_language": "on",
        "required_skills": "{}",
        "offer_timeout_s": "30",
        "overflow_action": "none",
        "wrap_up_s": "0",
        "is_active": "on",
    }
    response = admin_client.post("/admin/routing/queue/add/", form)
    assert response.status_code == 200
    assert "must not be negative" in response.content.decode()
