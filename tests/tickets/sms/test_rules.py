"""A rule's ``sms`` action end to end: the rendered template reaches the fake gateway from the outbox, or says why not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contactcenter.core.customers.models import Customer
from contactcenter.core.staff.models import AgentProfile
from tests.tickets.conftest import T0
from tests.tickets.sms.conftest import FakeGateway
from tickets.automation import actions
from tickets.automation import services as automation
from tickets.automation.models import RuleRun
from tickets.models import Ticket
from tickets.sms import outbound
from tickets.sms.models import OutboundSms

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_rule(supervisor: AgentProfile) -> None:
    template = automation.save_template(
        actor=supervisor,
        now=T0,
        data={"name": "Got it", "kind": "sms", "body": "${customer.name}, we have your ticket ${ticket.number}: ${ticket.subject}"},
    )
    automation.save_rule(
        actor=supervisor,
        now=T0,
        data={
            "name": "Text on new tickets",
            "trigger": "event",
            "events": ["created"],
            "actions": [{"type": "sms", "template": template.pk}],
        },
    )


def _created(make_ticket: Callable[..., Ticket], capture: Any) -> tuple[Ticket, dict[str, Any]]:
    with capture(execute=True):
        ticket = make_ticket()
    [run] = RuleRun.objects.filter(ticket=ticket)
    assert run.errors == []
    [done] = run.actions
    return ticket, done


@pytest.mark.usefixtures("sms_rule")
def test_a_rule_on_a_new_ticket_texts_the_rendered_template(
    sms_gateway: FakeGateway, customer: Customer, make_ticket: Callable[..., Ticket], django_capture_on_commit_callbacks: Any
) -> None:
    customer.phone = "+86 138 0013 8000"
    customer.save()
    ticket, done = _created(make_ticket, django_capture_on_commit_callbacks)
    [row] = OutboundSms.objects.all()
    assert done["result"] == actions.QUEUED and done["sms"] == row.pk
    assert sms_gateway.seen == []  # nothing leaves while the ticket is being written
    assert outbound.send_due(row.next_attempt_at) == 1
    [(_headers, body)] = sms_gateway.seen
    assert body["to"] == "+8613800138000"
    assert body["text"] == f"Wang Fang, we have your ticket {ticket.number}: Water bill too high"


@pytest.mark.usefixtures("sms_rule")
def test_without_a_gateway_the_rule_records_it_and_queues_nothing(
    settings: Any, customer: Customer, make_ticket: Callable[..., Ticket], django_capture_on_commit_callbacks: Any
) -> None:
    settings.CC_SMS_GATEWAY_URL = ""
    customer.phone = "+8613800138000"
    customer.save()
    _ticket, done = _created(make_ticket, django_capture_on_commit_callbacks)
    assert done["result"] == actions.NOT_SENT_NO_SMS == "not sent: no SMS gateway configured"
    assert not OutboundSms.objects.exists()


@pytest.mark.usefixtures("sms_rule", "sms_gateway")
def test_a_customer_without_a_phone_is_recorded_and_not_queued(
    make_ticket: Callable[..., Ticket], django_capture_on_commit_callbacks: Any
) -> None:
    _ticket, done = _created(make_ticket, django_capture_on_commit_callbacks)  # the customer has only an e-mail address
    assert done["result"] == actions.NOT_SENT_NO_PHONE == "not sent: the customer has no phone number"
    assert not OutboundSms.objects.exists()
