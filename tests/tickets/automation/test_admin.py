"""The admin lists the automation tables and refuses what the API refuses (hostile templates, unknown actions)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tickets.automation.models import Rule, Template


@pytest.fixture
def root_client(db: Any) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.mark.parametrize("model", ["template", "rule", "macro", "cannedreply", "webhook", "rulerun", "webhookdelivery"])
def test_the_admin_lists_each_table(root_client: Client, model: str) -> None:
    assert root_client.get(f"/admin/tickets_automation/{model}/").status_code == 200


def test_a_template_reaching_past_the_allow_list_is_refused_by_the_form(root_client: Client) -> None:
    page = root_client.post(
        "/admin/tickets_automation/template/add/",
        {"name": "Sneaky", "kind": "reply", "language": "", "subject": "", "body": "${''.__class__.__mro__}", "is_active": "on"},
    )
    assert page.status_code == 200 and "not_allowed" in page.content.decode()
    assert not Template.objects.exists()
    ok = root_client.post(
        "/admin/tickets_automation/template/add/",
        {"name": "Fine", "kind": "reply", "language": "", "subject": "", "body": "Hi ${customer.name}", "is_active": "on"},
    )
    assert ok.status_code == 302 and Template.objects.get().name == "Fine"


def test_a_rule_with_an_unknown_action_is_refused_by_the_form(root_client: Client) -> None:
    page = root_client.post(
        "/admin/tickets_automation/rule/add/",
        {
            "name": "R",
            "is_active": "on",
            "position": "0",
            "trigger": "event",
            "events": '["created"]',
            "conditions": "{}",
            "actions": '[{"type": "shell"}]',
            "period_hours": "24",
        },
    )
    assert page.status_code == 200 and not Rule.objects.exists()
