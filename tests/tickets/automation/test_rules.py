"""Automation rules on ticket events: triggers, all/any conditions, field changes, replies, chains and their limits, the log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contactcenter.core.customers.models import Customer
from contactcenter.core.errors import InvalidInput
from contactcenter.core.staff.models import AgentProfile
from tests.tickets.conftest import T0, at
from tickets import hooks, services
from tickets.access import SYSTEM
from tickets.automation import engine
from tickets.automation.models import Rule, RuleRun
from tickets.models import Ticket, TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(T0, tick=False):
        yield


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def test_a_rule_fires_on_created_when_its_conditions_hold(make_rule: Any, make_ticket: Any, after_commit: Any) -> None:
    make_rule(
        "Refunds are urgent",
        conditions={"all": [{"field": "subject", "op": "contains", "value": "refund"}]},
        actions=[{"type": "set_priority", "value": "urgent"}, {"type": "add_tags", "value": ["refund"]}],
    )
    with after_commit():
        hit = make_ticket(subject="Refund for order 12")
        miss = make_ticket(subject="Broken meter")
    assert _fresh(hit).priority == "urgent" and [t.name for t in _fresh(hit).tags.all()] == ["refund"]
    assert _fresh(miss).priority == "normal"
    change = TimelineEntry.objects.get(ticket=hit, field="priority")
    assert change.author_agent_id is None and change.new_value == "urgent"  # audited, by the system
    [run] = RuleRun.objects.filter(ticket=hit)
    assert run.trigger == "ticket.created" and [a["type"] for a in run.actions] == ["set_priority", "add_tags"] and run.errors == []


def test_all_must_hold_and_one_of_any(make_rule: Any, make_ticket: Any, after_commit: Any) -> None:
    make_rule(
        "VIP complaints",
        conditions={
            "all": [{"field": "source", "op": "is", "value": "agent"}],
            "any": [{"field": "customer_tags", "op": "contains", "value": "vip"}, {"field": "subject", "op": "contains", "value": "投诉"}],
        },
        actions=[{"type": "set_priority", "value": "high"}],
    )
    vip = Customer.objects.create(name="VIP", tags=["VIP"])
    with after_commit():
        by_tag = make_ticket(subject="Meter", customer=vip)
        by_word = make_ticket(subject="我要投诉")
        neither = make_ticket(subject="Meter")
        wrong_source = make_ticket(subject="我要投诉", source="webform")
    assert [_fresh(t).priority for t in (by_tag, by_word, neither, wrong_source)] == ["high", "high", "normal", "normal"]


def test_a_field_change_from_a_to_b_sets_off_the_rule(make_rule: Any, make_ticket: Any, alice: AgentProfile, after_commit: Any) -> None:
    make_rule(
        "Escalated to urgent",
        events=["updated"],
        conditions={"all": [{"field": "priority", "op": "changed", "from": "high", "to": "urgent"}]},
        actions=[{"type": "add_note", "body": "Escalated ${ticket.number}: tell ${agent.name}"}],
    )
    ticket = make_ticket(priority="normal", assignee=alice)
    # Each change commits (and is heard) on its own, as separate requests do.
    for n, priority in enumerate(["urgent", "high", "urgent"]):  # normal → urgent: no; high → urgent: yes
        with after_commit():
            services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(n + 1), priority=priority)
    notes = list(TimelineEntry.objects.filter(ticket=ticket, kind="internal_note").values_list("body", flat=True))
    assert notes == [f"Escalated {ticket.number}: tell Alice"]


def test_a_bulk_change_sets_off_rules_for_each_ticket(make_rule: Any, make_ticket: Any, alice: AgentProfile, after_commit: Any) -> None:
    make_rule(
        "Urgent gets a tag",
        events=["updated"],
        conditions={"all": [{"field": "priority", "op": "changed", "to": "urgent"}]},
        actions=[{"type": "add_tags", "value": ["hot"]}],
    )
    made = [make_ticket() for _ in range(3)]
    with after_commit():
        services.bulk_update(ticket_ids=[t.pk for t in made], actor=alice, now=at(1), priority="urgent")
    assert all([t.name for t in _fresh(t).tags.all()] == ["hot"] for t in made)


def test_a_customer_reply_is_told_apart_from_an_agent_reply(
    make_rule: Any, make_template: Any, make_ticket: Any, customer: Customer, alice: AgentProfile, after_commit: Any
) -> None:
    thanks = make_template("Got it", "Dear ${customer.name}, we received your message about ${ticket.number}.")
    make_rule(
        "Acknowledge customers",
        events=["replied"],
        conditions={"all": [{"field": "reply_author", "op": "is", "value": "customer"}]},
        actions=[{"type": "reply", "template": thanks.pk}],
    )
    ticket = make_ticket()
    with after_commit():
        services.reply(ticket_id=ticket.pk, actor=alice, body="Looking", now=at(1))
        services.reply(ticket_id=ticket.pk, actor=customer, body="Still broken", now=at(2))
    replies = list(TimelineEntry.objects.filter(ticket=ticket, kind="public_reply").order_by("id").values_list("body", flat=True))
    assert replies == ["Looking", "Still broken", f"Dear Wang Fang, we received your message about {ticket.number}."]
    # The system's own reply (author neither) does not set the rule off again.
    assert RuleRun.objects.filter(ticket=ticket).count() == 1


def test_two_rules_that_undo_each_other_each_fire_once_per_chain(
    make_rule: Any, make_ticket: Any, alice: AgentProfile, after_commit: Any
) -> None:
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
    with after_commit():
        services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(1), priority="high")
    runs = list(RuleRun.objects.filter(ticket=ticket).order_by("id"))
    assert [(r.rule_name, r.depth) for r in runs] == [("Ping", 0), ("Pong", 1)]
    assert len({r.chain for r in runs}) == 1
    assert _fresh(ticket).priority == "high"  # Pong's change came last; Ping does not fire again in this chain
    assert engine.active_chain_depth() is None  # the chain is left behind cleanly


def test_a_chain_stops_at_the_depth_limit(make_rule: Any, make_ticket: Any, alice: AgentProfile, after_commit: Any) -> None:
    # Each rule adds the next tag; the chain would run 8 deep.
    for n in range(8):
        make_rule(
            f"Step {n}",
            events=["updated"],
            position=n,
            conditions={"all": [{"field": "tags", "op": "contains", "value": f"s{n}"}, {"field": "tags", "op": "changed"}]},
            actions=[{"type": "add_tags", "value": [f"s{n + 1}"]}],
        )
    ticket = make_ticket()
    with after_commit():
        services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(1), tags=["s0"])
    depths = sorted(RuleRun.objects.filter(ticket=ticket).values_list("depth", flat=True))
    assert depths == list(range(engine.MAX_DEPTH))


def test_a_failing_action_is_logged_and_the_others_still_run(make_rule: Any, make_ticket: Any, after_commit: Any) -> None:
    make_rule("Dispatch and tag", actions=[{"type": "set_status", "value": "open"}, {"type": "add_tags", "value": ["seen"]}])
    Rule.objects.filter(name="Dispatch and tag").update(
        actions=[{"type": "assign", "value": 999999}, {"type": "add_tags", "value": ["seen"]}]
    )
    with after_commit():
        ticket = make_ticket()
    [run] = RuleRun.objects.filter(ticket=ticket)
    assert [a["type"] for a in run.actions] == ["add_tags"]
    assert run.errors[0]["type"] == "assign" and run.errors[0]["code"] == "invalid"


def test_assign_via_routing_and_email_without_a_channel(
    make_rule: Any, make_template: Any, make_ticket: Any, alice: AgentProfile, after_commit: Any
) -> None:
    mail = make_template("We are on it", "Ticket ${ticket.number}", kind="email", subject="Re: ${ticket.subject}")
    make_rule("Route new", actions=[{"type": "dispatch"}, {"type": "email", "template": mail.pk}])
    with after_commit():
        ticket = make_ticket()
    assert _fresh(ticket).assignee_id == alice.pk
    [run] = RuleRun.objects.filter(ticket=ticket)
    assert run.actions[1]["result"] == "not sent: no customer e-mail address or team mailbox"


def test_rules_are_checked_when_saved(make_rule: Any) -> None:
    with pytest.raises(InvalidInput):
        make_rule("Bad field", conditions={"all": [{"field": "password", "op": "is", "value": "x"}]}, actions=[{"type": "dispatch"}])
    with pytest.raises(InvalidInput):
        make_rule("Bad action", actions=[{"type": "shell", "value": "rm -rf /"}])
    with pytest.raises(InvalidInput):
        make_rule("Bad event", events=["deleted"], actions=[{"type": "dispatch"}])
    with pytest.raises(InvalidInput):
        make_rule(
            "Time with change", trigger="time", conditions={"all": [{"field": "status", "op": "changed"}]}, actions=[{"type": "dispatch"}]
        )


def test_inactive_rules_do_nothing(make_rule: Any, make_ticket: Any, after_commit: Any) -> None:
    make_rule("Off", is_active=False, actions=[{"type": "set_priority", "value": "urgent"}])
    with after_commit():
        ticket = make_ticket(actor=SYSTEM)
    assert _fresh(ticket).priority == "normal" and not RuleRun.objects.exists()


def test_each_run_that_changed_something_names_its_rule_on_the_timeline(make_rule: Any, make_ticket: Any, after_commit: Any) -> None:
    make_rule("Tag new", actions=[{"type": "add_tags", "value": ["new"]}])
    with after_commit():
        ticket = make_ticket()
    entry = TimelineEntry.objects.get(ticket=ticket, kind="system", event=engine.AUDIT_EVENT)
    run = RuleRun.objects.get(ticket=ticket)
    assert entry.body == "Tag new" and entry.author_agent_id is None
    assert entry.new_value is not None and entry.new_value["run_id"] == run.pk


def test_an_sla_breach_sets_off_a_rule_for_its_metric(
    make_rule: Any, make_ticket: Any, supervisor: AgentProfile, after_commit: Any
) -> None:
    make_rule(
        "First response breached → urgent, to the supervisor",
        events=["sla_breached"],
        conditions={"all": [{"field": "sla_metric", "op": "is", "value": "first_response"}]},
        actions=[{"type": "set_priority", "value": "urgent"}, {"type": "assign", "value": supervisor.pk}],
    )
    ticket = make_ticket()
    other = make_ticket()
    hooks.run(hooks.TicketEvent("ticket.sla_breached", (ticket.pk,), {"metric": "first_response", "clock_id": 1}))
    hooks.run(hooks.TicketEvent("ticket.sla_breached", (other.pk,), {"metric": "resolution", "clock_id": 2}))
    assert (_fresh(ticket).priority, _fresh(ticket).assignee_id) == ("urgent", supervisor.pk)
    assert _fresh(other).priority == "normal"


def test_a_vip_customer_urging_raises_the_priority(make_rule: Any, make_ticket: Any, after_commit: Any) -> None:
    make_rule(
        "VIP urges → urgent",
        events=["urged"],
        conditions={"all": [{"field": "customer_tags", "op": "contains", "value": "vip"}]},
        actions=[{"type": "set_priority", "value": "urgent"}, {"type": "add_note", "body": "VIP 催单：${ticket.number}"}],
    )
    vip = Customer.objects.create(name="Li", tags=["vip"])
    ticket = make_ticket(customer=vip)
    plain = make_ticket()
    with after_commit():
        services.urge_ticket(ticket_id=ticket.pk, actor=vip, now=at(1))
        services.urge_ticket(ticket_id=plain.pk, actor=plain.customer, now=at(1))
    assert _fresh(ticket).priority == "urgent" and _fresh(plain).priority == "normal"
    assert TimelineEntry.objects.get(ticket=ticket, kind="internal_note").body == f"VIP 催单：{ticket.number}"


def test_rules_without_change_conditions_do_not_read_the_timeline(
    make_rule: Any, make_ticket: Any, alice: AgentProfile, django_capture_on_commit_callbacks: Any
) -> None:
    make_rule(
        "Tag urgent",
        events=["updated"],
        conditions={"all": [{"field": "priority", "op": "is", "value": "urgent"}]},
        actions=[{"type": "add_tags", "value": ["hot"]}],
    )
    made = [make_ticket() for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.bulk_update(ticket_ids=[t.pk for t in made], actor=alice, now=at(1), priority="low")
    with CaptureQueriesContext(connection) as captured:
        for callback in pending:
            callback()
    assert not any("tickets_timelineentry" in q["sql"] for q in captured.captured_queries)


def test_an_email_action_is_written_on_the_ticket_and_queued_in_the_mail_outbox(
    make_rule: Any, make_template: Any, make_ticket: Any, team: Any, after_commit: Any
) -> None:
    from tickets.mail.models import Mailbox, OutboundMail
    from tickets.models import TimelineEntry

    Mailbox.objects.create(team=team, address="help@shop.example", imap_host="127.0.0.1", imap_user="help")
    mail = make_template("Ack", "<p>We got <b>${ticket.number}</b>.</p>", kind="email", subject="Re: ${ticket.subject}", is_html=True)
    make_rule("Acknowledge", actions=[{"type": "email", "template": mail.pk}])
    with after_commit():
        ticket = make_ticket()
    [run] = RuleRun.objects.filter(ticket=ticket)
    assert run.actions[0]["result"] == "queued"
    entry = TimelineEntry.objects.get(pk=run.actions[0]["entry"])
    assert entry.kind == TimelineEntry.Kind.PUBLIC_REPLY and entry.author_agent_id is None
    assert entry.body == f"We got {ticket.number}."
    [queued] = OutboundMail.objects.filter(ticket=ticket)
    assert (queued.entry_id, queued.to_address, queued.status) == (entry.pk, "wang@example.com", "pending")
