"""``manage routing_sweep --once`` runs one periodic pass and says what it did."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from routing import services
from tests.routing.helpers import make_agent, make_queue

pytestmark = pytest.mark.django_db


def test_one_sweep_offers_the_waiting_entry() -> None:
    queue = make_queue()
    make_agent(team=queue.team)
    services.enqueue(kind="chat", item_id=1, queue=queue, now=timezone.now())
    out = StringIO()
    call_command("routing_sweep", "--once", stdout=out)
    assert "claimed 1 offered 1 assigned 0" in out.getvalue()
