"""The SLA admin: policies with their scope and targets, stages that wait on the customer, read-only clocks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tickets.sla.conftest import CREATED
from tickets.models import Ticket
from tickets.sla.models import SlaClock, SlaPolicy

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["slapolicy/", "slapolicy/add/", "pausingstage/", "pausingstage/add/", "slaclock/"])
def test_the_sla_admin_pages_open(admin_client: Any, page: str) -> None:
    assert admin_client.get(f"/admin/tickets_sla/{page}").status_code == 200


def test_clocks_cannot_be_added_or_edited_by_hand(admin_client: Any) -> None:
    assert admin_client.get("/admin/tickets_sla/slaclock/add/").status_code == 403


def test_the_admin_refuses_a_policy_warning_both_ways(policy: SlaPolicy) -> None:
    from django.core.exceptions import ValidationError

    policy.warn_before_percent = 20
    policy.priorities = ["soon"]
    with pytest.raises(ValidationError) as refused:
        policy.full_clean()
    assert set(refused.value.message_dict) == {"warn_before_percent", "priorities"}


def test_the_recompute_action_gives_open_tickets_clocks_under_a_new_policy(
    admin_client: Any, make_ticket: Any, policy: SlaPolicy, capture_events: Any
) -> None:
    policy.is_active = False
    policy.save()
    with capture_events():
        ticket: Ticket = make_ticket(now=CREATED)
    assert not SlaClock.objects.filter(ticket=ticket).exists()
    policy.is_active = True
    policy.save()
    response = admin_client.post(
        "/admin/tickets_sla/slapolicy/", {"action": "recompute_open_tickets", "_selected_action": [policy.pk]}, follow=True
    )
    assert response.status_code == 200
    assert SlaClock.objects.filter(ticket=ticket, metric="first_response").exists()


def test_the_recompute_command_names_how_many_tickets_it_did(make_ticket: Any, policy: SlaPolicy, capture_events: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    with capture_events():
        ticket: Ticket = make_ticket(now=CREATED)
    SlaClock.objects.all().delete()
    out = StringIO()
    call_command("sla_recompute", stdout=out)
    assert out.getvalue().strip() == "recomputed 1 tickets"
    assert SlaClock.objects.filter(ticket=ticket).count() == 2
