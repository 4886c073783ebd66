"""The admin lists types, stages, tags and tickets; a ticket's page shows its timeline read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.tickets.conftest import at
from tickets import services
from tickets.models import TicketType


@pytest.fixture
def root_client(db: Any) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.mark.parametrize("model", ["tickettype", "stage", "tag", "ticket"])
def test_the_admin_lists_each_table(root_client: Client, make_ticket: Any, model: str) -> None:
    make_ticket(tags=["vip"])
    assert root_client.get(f"/admin/tickets/{model}/").status_code == 200


def test_a_ticket_page_shows_its_timeline(root_client: Client, make_ticket: Any, alice: Any) -> None:
    ticket = make_ticket()
    services.add_note(ticket_id=ticket.pk, actor=alice, body="checked the meter", now=at(1))
    page = root_client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert page.status_code == 200 and "checked the meter" in page.content.decode()


def test_a_type_with_a_broken_field_template_is_refused_by_the_form(root_client: Client) -> None:
    page = root_client.post(
        "/admin/tickets/tickettype/add/",
        {
            "name": "Repair",
            "colour": "#123456",
            "field_schema": '[{"name": "x", "kind": "colour"}]',
            "required_skills": "{}",
            "is_active": "on",
        },
    )
    assert page.status_code == 200 and not TicketType.objects.exists()
