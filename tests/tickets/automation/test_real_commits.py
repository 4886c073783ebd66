"""With real commits (no captured callbacks): chains are heard at each commit as in production, and two tickers
running the time rules at once fire a rule on a ticket once."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from contactcenter.core.staff.models import AgentProfile
from tests.tickets.conftest import T0, at
from tickets import services
from tickets.automation import engine
from tickets.automation.models import RuleRun, TimeRuleFiring
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_rules_that_undo_each_other_stop_with_real_commits(make_rule: Any, make_ticket: Any, alice: AgentProfile) -> None:
    make_rule(
        "Ping",
        events=["updated"],
        conditions={"all": [{"field": "priority", "op": "changed", "to": "high"}]},
        actions=[{"type": "set_priority", "value": "low"}],
    )
    make_rule(
        "Pong",
        events=["updated"],
        conditions={"all": [{"field": "priority", "op": "changed", "to": "low"}]},
        actions=[{"type": "set_priority", "value": "high"}],
    )
    ticket = make_ticket()
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(1), priority="high")
    assert [(r.rule_name, r.depth) for r in RuleRun.objects.filter(ticket=ticket).order_by("id")] == [("Ping", 0), ("Pong", 1)]
    assert Ticket.objects.get(pk=ticket.pk).priority == "high"
    assert engine.active_chain_depth() is None
    # The next change by a person is a new chain: both may fire again.
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(2), priority="normal")
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(3), priority="high")
    assert RuleRun.objects.filter(ticket=ticket).count() == 4


def test_two_tickers_at_once_fire_a_time_rule_once(make_rule: Any, make_ticket: Any) -> None:
    make_rule(
        "Old urgent",
        trigger="time",
        events=[],
        conditions={
            "all": [{"field": "priority", "op": "is", "value": "urgent"}, {"field": "hours_since_created", "op": "gte", "value": 1}]
        },
        actions=[{"type": "add_note", "body": "Urgent for an hour: ${ticket.number}"}],
    )
    ticket = make_ticket(priority="urgent")
    now = T0 + timedelta(hours=2)
    start = threading.Barrier(2)
    fired: list[int] = []
    failures: list[BaseException] = []

    def ticker() -> None:
        try:
            start.wait()
            fired.append(engine.run_time_rules(now))
        except BaseException as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=ticker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert sorted(fired) == [0, 1]
    assert TimeRuleFiring.objects.filter(ticket=ticket).count() == 1
    assert ticket.timeline.filter(kind="internal_note").count() == 1
