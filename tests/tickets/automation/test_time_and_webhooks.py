"""Time rules (once per ticket per measured timestamp or period) and webhooks (signed, from the outbox, retried with backoff)."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contactcenter.core import periodic
from contactcenter.core.staff.models import AgentProfile, BusinessHours, BusinessHoursException, Team
from tests.tickets.conftest import T0
from tickets import services
from tickets.automation import engine, webhooks
from tickets.automation.models import RuleRun, TimeRuleFiring, Webhook, WebhookDelivery
from tickets.models import Ticket, TimelineEntry

pytestmark = pytest.mark.django_db


def test_pending_for_three_days_closes_once(make_rule: Any, make_ticket: Any, alice: AgentProfile) -> None:
    make_rule(
        "Waiting 3 days → close",
        trigger="time",
        events=[],
        conditions={
            "all": [{"field": "stage_name", "op": "is", "value": "In progress"}, {"field": "hours_since_updated", "op": "gte", "value": 72}]
        },
        actions=[{"type": "set_status", "value": "closed"}],
    )
    ticket = make_ticket()
    waiting = next(s for s in services._common.team_stages(ticket.team) if s.name == "In progress")
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=T0, stage=waiting)
    fresh = make_ticket()
    with time_machine.travel(T0 + timedelta(hours=71), tick=False):  # the clock is passed in; the wall clock does not matter
        assert engine.run_time_rules(T0 + timedelta(hours=71)) == 0
    assert engine.run_time_rules(T0 + timedelta(hours=72, minutes=1)) == 1
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    assert Ticket.objects.get(pk=fresh.pk).status == "open"  # not in that stage
    assert engine.run_time_rules(T0 + timedelta(hours=80)) == 0
    [run] = RuleRun.objects.filter(ticket=ticket)
    assert run.trigger == "time" and run.errors == []
    closing = TimelineEntry.objects.get(ticket=ticket, field="status", new_value="closed")
    assert closing.author_agent_id is None  # the system did it, audited


def test_solved_a_day_ago_fires_once_per_solve(make_rule: Any, make_template: Any, make_ticket: Any, alice: AgentProfile) -> None:
    survey = make_template("Survey", "How did we do on ${ticket.number}?", kind="email", subject="Your ticket ${ticket.number}")
    make_rule(
        "Survey a day after solving",
        trigger="time",
        events=[],
        conditions={"all": [{"field": "status", "op": "is", "value": "solved"}, {"field": "hours_since_solved", "op": "gte", "value": 24}]},
        actions=[{"type": "email", "template": survey.pk}, {"type": "add_tags", "value": ["surveyed"]}],
    )
    ticket = make_ticket()
    services.solve_ticket(ticket_id=ticket.pk, actor=alice, now=T0)
    assert engine.run_time_rules(T0 + timedelta(hours=23)) == 0
    assert engine.run_time_rules(T0 + timedelta(hours=25)) == 1
    assert engine.run_time_rules(T0 + timedelta(hours=50)) == 0  # same solve: not again
    services.reopen_ticket(ticket_id=ticket.pk, actor=alice, now=T0 + timedelta(hours=51))
    services.solve_ticket(ticket_id=ticket.pk, actor=alice, now=T0 + timedelta(hours=52))
    assert engine.run_time_rules(T0 + timedelta(hours=77)) == 1  # a new solve: once more
    assert TimeRuleFiring.objects.filter(ticket=ticket).count() == 2
    results = [r.actions[0]["result"] for r in RuleRun.objects.filter(ticket=ticket)]
    assert results == ["not sent: no customer e-mail address or team mailbox"] * 2  # the team has no mailbox


def test_a_time_rule_without_a_time_condition_fires_once_per_period(make_rule: Any, make_ticket: Any) -> None:
    make_rule(
        "Daily urgent ping",
        trigger="time",
        events=[],
        period_hours=24,
        conditions={"all": [{"field": "priority", "op": "is", "value": "urgent"}]},
        actions=[{"type": "add_note", "body": "Still urgent"}],
    )
    ticket = make_ticket(priority="urgent")
    day = T0.replace(hour=0)
    assert engine.run_time_rules(day + timedelta(hours=1)) == 1
    assert engine.run_time_rules(day + timedelta(hours=20)) == 0
    assert engine.run_time_rules(day + timedelta(hours=25)) == 1
    assert TimelineEntry.objects.filter(ticket=ticket, kind="internal_note").count() == 2


# -- webhooks --------------------------------------------------------------------------------------


class _Receiver(http.server.BaseHTTPRequestHandler):
    answers: list[int] = []
    seen: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append((dict(self.headers), body))
        code = type(self).answers.pop(0) if type(self).answers else 200
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"answers": [], "seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()
    server.server_close()


def test_a_webhook_is_signed_queued_and_retried_with_backoff(
    make_rule: Any, make_ticket: Any, receiver: tuple[str, type[_Receiver]], django_capture_on_commit_callbacks: Any
) -> None:
    url, handler = receiver
    hook = Webhook.objects.create(name="CRM", url=url, secret="s3cret")
    make_rule("Tell the CRM", actions=[{"type": "webhook", "webhook": hook.pk}])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket()
    assert handler.seen == []  # nothing is called while the ticket is being written
    [delivery] = WebhookDelivery.objects.all()
    handler.answers = [500]
    now = delivery.next_attempt_at
    assert webhooks.deliver_due(now) == 0
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_error == "HTTP 500" and delivery.next_attempt_at == now + timedelta(seconds=30)
    assert webhooks.deliver_due(now + timedelta(seconds=10)) == 0 and len(handler.seen) == 1  # not due yet
    assert webhooks.deliver_due(now + timedelta(seconds=31)) == 1
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and delivery.attempts == 2
    headers, body = handler.seen[-1]
    stamp = headers["X-Contactcenter-Timestamp"]
    expected = "sha256=" + hmac.new(b"s3cret", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Contactcenter-Signature"] == expected
    assert json.loads(body)["ticket"]["number"] == ticket.number
    assert webhooks.deliver_due(now + timedelta(hours=1)) == 0 and len(handler.seen) == 2  # delivered once


def test_a_webhook_is_given_up_after_the_last_attempt(receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver
    hook = Webhook.objects.create(name="Down", url=url, secret="x")
    delivery = WebhookDelivery.objects.create(webhook=hook, payload={"a": 1}, next_attempt_at=T0, created_at=T0)
    handler.answers = [503] * webhooks.MAX_ATTEMPTS
    now = T0
    for _attempt in range(webhooks.MAX_ATTEMPTS):
        webhooks.deliver_due(now)
        delivery.refresh_from_db()
        now = delivery.next_attempt_at
    assert delivery.failed_at is not None and delivery.attempts == webhooks.MAX_ATTEMPTS
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]


def test_pending_three_working_days_counts_the_team_calendar_with_its_holiday(make_rule: Any, make_ticket: Any, team: Team) -> None:
    week = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    hours = BusinessHours.objects.create(name="Office", timezone="Asia/Shanghai", weekly=week)
    BusinessHoursException.objects.create(calendar=hours, date=date(2026, 3, 9), is_open=False)  # Monday off
    team.business_hours = hours
    team.save()
    make_rule(
        "3 working days without news → close",
        trigger="time",
        events=[],
        conditions={"all": [{"field": "working_hours_since_updated", "op": "gte", "value": 27}]},
        actions=[{"type": "set_status", "value": "closed"}],
    )
    shanghai = ZoneInfo("Asia/Shanghai")
    friday_5pm = datetime(2026, 3, 6, 17, 0, tzinfo=shanghai)
    ticket = make_ticket(now=friday_5pm)
    # Friday 1 h, (Monday off), Tuesday 9, Wednesday 9: 19 working hours by Wednesday evening.
    assert engine.run_time_rules(datetime(2026, 3, 11, 18, 0, tzinfo=shanghai)) == 0
    assert engine.run_time_rules(datetime(2026, 3, 12, 16, 59, tzinfo=shanghai)) == 0
    assert engine.run_time_rules(datetime(2026, 3, 12, 17, 0, tzinfo=shanghai)) == 1
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_the_jobs_are_on_the_ticker() -> None:
    assert {"tickets_automation.time_rules", "tickets_automation.webhooks"} <= set(periodic.names())
