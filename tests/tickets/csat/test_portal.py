"""The customer portal offers the rating link on a solved ticket, and shows the answer once given."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.tickets.portal_helpers import signed_in
from tickets.csat import services

pytestmark = pytest.mark.django_db


def test_a_solved_ticket_offers_the_rating_link_then_shows_the_score(solved: Any, make_ticket: Any, customer: Any) -> None:
    ticket = solved()
    open_ticket = make_ticket()
    client = signed_in(Client(), customer)
    page = client.get(f"/portal/tickets/{ticket.number}/").content.decode()
    link = re.search(r'href="/csat/([^"/]+)/" data-testid="rate"', page)
    assert link and services.ticket_id_for_token(link.group(1)) == ticket.pk
    assert 'data-testid="rate"' not in client.get(f"/portal/tickets/{open_ticket.number}/").content.decode()
    services.rate_ticket(token=services.rating_token(ticket_id=ticket.pk), score=5, comment="", now=timezone.now())
    page = client.get(f"/portal/tickets/{ticket.number}/").content.decode()
    assert 'data-testid="rate"' not in page and 'data-testid="rated"' in page


def test_the_admin_lists_ratings_and_visits_read_only(admin_client: Any, solved: Any) -> None:
    ticket = solved()
    services.rate_ticket(token=services.rating_token(ticket_id=ticket.pk), score=3, comment="ok", now=timezone.now())
    for name in ("rating", "invitation", "followupvisit"):
        assert admin_client.get(f"/admin/tickets_csat/{name}/").status_code == 200
    assert admin_client.get("/admin/tickets_csat/rating/add/").status_code == 403
