"""The desk's after-commit hooks: listeners hear each ticket event once, after commit, and a failing one harms nobody."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from contactcenter.core.staff.models import AgentProfile, Team
from tests.tickets.conftest import T0, at
from tickets import hooks, services
from tickets.access import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard() -> Iterator[list[hooks.TicketEvent]]:
    events: list[hooks.TicketEvent] = []
    hooks.subscribe("test", events.append)
    yield events
    hooks.unsubscribe("test")


def test_listeners_hear_ticket_events_after_commit(
    team: Team, alice: AgentProfile, heard: list[hooks.TicketEvent], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as pending:
        ticket = services.create_ticket(actor=SYSTEM, team=team, subject="Leak", now=T0)
    assert heard == []  # nothing before the commit
    for callback in pending:
        callback()
    assert [(e.name, e.ticket_ids) for e in heard] == [("ticket.created", (ticket.pk,))]
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(ticket_id=ticket.pk, actor=alice, body="On it", now=at(5))
    assert heard[-1].name == "ticket.replied" and heard[-1].fields["entry"]["body"] == "On it"


def test_a_bulk_change_is_one_event_naming_every_ticket(
    team: Team, alice: AgentProfile, heard: list[hooks.TicketEvent], django_capture_on_commit_callbacks: Any
) -> None:
    made = [services.create_ticket(actor=SYSTEM, team=team, subject=f"T{n}", now=T0) for n in range(3)]
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.bulk_update(ticket_ids=[t.pk for t in made], actor=alice, now=at(1), priority="high")
    assert [(e.name, sorted(e.ticket_ids), e.fields["changes"]) for e in heard] == [
        ("ticket.bulk_updated", sorted(t.pk for t in made), ["priority"])
    ]


def test_a_failing_listener_is_logged_and_the_others_still_run(
    team: Team, heard: list[hooks.TicketEvent], django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: hooks.TicketEvent) -> None:
        raise RuntimeError("listener bug")

    hooks.subscribe("broken", broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.create_ticket(actor=SYSTEM, team=team, subject="Leak", now=T0)
    finally:
        hooks.unsubscribe("broken")
    assert [e.name for e in heard] == ["ticket.created"]
    assert "ticket hook broken failed" in caplog.text
