"""Bulk changes: the same change on many tickets, audited per ticket, in a constant number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contactcenter.core.errors import NotFound
from routing import services as routing
from tests.tickets.conftest import at
from tickets import services
from tickets.models import Stage, Status, Ticket


def queries_for(make_ticket: Any, count: int, **change: Any) -> int:
    ids = [make_ticket().pk for _ in range(count)]
    with CaptureQueriesContext(connection) as captured:
        services.bulk_update(ticket_ids=ids, now=at(10), **change)
    return len(captured)


@pytest.mark.parametrize(
    "change",
    [
        {"assignee": "alice"},
        {"status": "closed"},
        {"add_tags": ["flood", "vip"], "remove_tags": ["x"]},
        {"priority": "urgent"},
        {"stage": "In progress"},
    ],
    ids=["assign", "close", "tag", "priority", "stage"],
)
def test_a_bulk_change_costs_the_same_queries_for_3_and_30_tickets(make_ticket: Any, alice: Any, team: Any, change: dict[str, Any]) -> None:
    make_ticket()  # the team's stages and ticket queue exist before counting
    services.ticket_queue(team=team)
    if "assignee" in change:
        change = {"assignee": alice}
    if "stage" in change:
        change = {"stage": Stage.objects.get(team=team, name="In progress")}
    small = queries_for(make_ticket, 3, actor=alice, **change)
    large = queries_for(make_ticket, 30, actor=alice, **change)
    assert small == large


def test_bulk_assign_audits_each_ticket_and_counts_the_load(make_ticket: Any, alice: Any) -> None:
    ids = [make_ticket().pk for _ in range(5)]
    result = services.bulk_update(ticket_ids=ids, actor=alice, now=at(1), assignee=alice)
    assert result.changed == 5
    assert Ticket.objects.filter(pk__in=ids, assignee=alice).count() == 5
    assert routing.agent_loads([alice.pk])[alice.pk]["ticket"] == 5


def test_bulk_close_moves_to_the_closed_stage_and_frees_the_load(make_ticket: Any, alice: Any) -> None:
    ids = [make_ticket(assignee=alice).pk for _ in range(4)]
    services.bulk_update(ticket_ids=ids, actor=alice, now=at(5), status="closed")
    assert set(Ticket.objects.filter(pk__in=ids).values_list("status", "stage__name", "closed_at")) == {("closed", "Closed", at(5))}
    assert routing.agent_loads([alice.pk]).get(alice.pk, {}).get("ticket", 0) == 0


def test_bulk_tags_add_and_remove_with_one_audit_entry_per_changed_ticket(make_ticket: Any, alice: Any) -> None:
    tagged = make_ticket(tags=["old"])
    plain = make_ticket()
    services.bulk_update(ticket_ids=[tagged.pk, plain.pk], actor=alice, now=at(1), add_tags=["New"], remove_tags=["old"])
    assert list(tagged.tags.values_list("name", flat=True)) == ["new"] and list(plain.tags.values_list("name", flat=True)) == ["new"]
    assert tagged.timeline.get(field="tags").new_value == ["new"]


def test_a_bulk_change_including_a_hidden_ticket_changes_nothing(make_ticket: Any, alice: Any, other_team: Any) -> None:
    mine, hidden = make_ticket(), make_ticket(team=other_team)
    with pytest.raises(NotFound):
        services.bulk_update(ticket_ids=[mine.pk, hidden.pk], actor=alice, now=at(1), priority="urgent")
    assert Ticket.objects.get(pk=mine.pk).priority == "normal"


def test_bulk_merge_merges_the_rest_into_the_chosen_ticket(make_ticket: Any, alice: Any) -> None:
    ids = [make_ticket().pk for _ in range(4)]
    services.bulk_update(ticket_ids=ids, actor=alice, now=at(1), merge_into_id=ids[0])
    assert Ticket.objects.filter(merged_into_id=ids[0], status=Status.CLOSED).count() == 3


def test_bulk_solve_via_a_closing_stage_sets_solved(make_ticket: Any, alice: Any, team: Any) -> None:
    ids = [make_ticket().pk for _ in range(3)]
    services.bulk_update(ticket_ids=ids, actor=alice, now=at(1), stage=Stage.objects.get(team=team, name="Solved"))
    assert set(Ticket.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"solved"}


def test_bulk_events_go_once_per_team(make_ticket: Any, alice: Any, team: Any, capture_events: Any) -> None:
    ids = [make_ticket().pk for _ in range(10)]
    with capture_events() as sent:
        services.bulk_update(ticket_ids=ids, actor=alice, now=at(1), priority="high")
    bulk = [(g, e) for g, e in sent if e["type"] == "ticket.bulk_updated"]
    assert len(bulk) == 1 and bulk[0][0] == f"tickets.team.{team.pk}" and bulk[0][1]["ticket_ids"] == sorted(ids)
