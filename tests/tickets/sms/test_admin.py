"""The SMS outbox admin: listed and shown read-only, nothing added by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.tickets.conftest import T0
from tickets.models import Ticket
from tickets.sms import outbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client(db: Any) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_the_outbox_is_listed_and_read_only(root_client: Client, make_ticket: Callable[..., Ticket]) -> None:
    row = outbound.enqueue(ticket=make_ticket(), to_number="+8613800138000", body="Hello", now=T0)
    listing = root_client.get("/admin/tickets_sms/outboundsms/")
    assert listing.status_code == 200 and "+8613800138000" in listing.content.decode()
    page = root_client.get(f"/admin/tickets_sms/outboundsms/{row.pk}/change/")
    assert page.status_code == 200 and 'name="body"' not in page.content.decode()
    assert root_client.get("/admin/tickets_sms/outboundsms/add/").status_code == 403
