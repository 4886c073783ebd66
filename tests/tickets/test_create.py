"""Opening tickets: numbers, validation, who may open what, and tickets from a chat."""

from __future__ import annotations

from typing import Any

import pytest

from contactcenter.core.errors import Forbidden, InvalidInput
from tests.tickets.conftest import T0, at
from tickets import services
from tickets.access import SYSTEM
from tickets.errors import InvalidCustomFields
from tickets.models import Source, Status, Ticket, TicketType, TimelineEntry


def test_tickets_get_consecutive_human_readable_numbers(make_ticket: Any) -> None:
    numbers = [make_ticket().number for _ in range(3)]
    assert numbers == ["T-000001", "T-000002", "T-000003"]


def test_a_creation_that_fails_gives_its_number_back(make_ticket: Any, team: Any) -> None:
    make_ticket()
    kind = TicketType.objects.create(name="Repair", field_schema=[{"name": "meter_no", "kind": "text", "required": True}])
    with pytest.raises(InvalidCustomFields):
        make_ticket(ticket_type=kind)
    assert make_ticket().number == "T-000002"


def test_a_new_ticket_starts_open_in_the_first_stage_of_a_team_that_gets_default_stages(make_ticket: Any, team: Any) -> None:
    ticket = make_ticket()
    assert ticket.status == Status.OPEN
    assert ticket.stage.team_id == team.pk and ticket.stage.position == 0 and not ticket.stage.closing
    assert [s.closing for s in team.ticket_stages.order_by("position")] == [False, False, True, True]


def test_custom_fields_are_validated_against_the_type(make_ticket: Any) -> None:
    kind = TicketType.objects.create(name="Repair", field_schema=[{"name": "meter_no", "kind": "text", "required": True}])
    ticket = make_ticket(ticket_type=kind, custom_fields={"meter_no": "M-7"})
    assert ticket.custom_fields == {"meter_no": "M-7"}
    with pytest.raises(InvalidCustomFields) as caught:
        make_ticket(ticket_type=kind, custom_fields={"meter": "M-7"})
    assert set(caught.value.details["fields"]) == {"meter", "meter_no"}


def test_an_empty_subject_is_refused(make_ticket: Any) -> None:
    with pytest.raises(InvalidInput):
        make_ticket(subject="   ")


def test_a_customer_opens_a_ticket_for_themself_only_and_sets_no_desk_fields(make_ticket: Any, customer: Any) -> None:
    ticket = make_ticket(actor=customer, customer=None, source=Source.PORTAL, priority="urgent")
    assert ticket.customer_id == customer.pk and ticket.priority == "normal"
    with pytest.raises(Forbidden):
        make_ticket(actor=customer, tags=["vip"])


def test_an_agent_cannot_open_a_ticket_for_another_team(make_ticket: Any, outsider: Any) -> None:
    with pytest.raises(Forbidden):
        make_ticket(actor=outsider)


def test_creation_writes_a_system_entry_and_tells_the_team(make_ticket: Any, team: Any, capture_events: Any) -> None:
    with capture_events() as sent:
        ticket = make_ticket()
    assert (f"tickets.team.{team.pk}", "ticket.created") in [(g, e["type"]) for g, e in sent]
    assert list(ticket.timeline.values_list("kind", "event")) == [("system", "created")]


def test_a_chat_becomes_a_ticket_with_its_transcript_customer_and_conversation(team: Any, customer: Any) -> None:
    transcript = [
        {"sender": "customer", "body": "我的水费账单有问题", "created_at": T0.isoformat()},
        {"sender": "bot", "body": "正在为您转人工", "created_at": at(5).isoformat()},
    ]
    ticket = services.create_from_conversation(
        conversation_id=42, customer=customer, team=team, subject="", transcript=transcript, now=at(60), reason="no_agent", dispatch=False
    )
    assert ticket.number.startswith("T-")
    assert ticket.subject == "我的水费账单有问题" and ticket.source == Source.CHAT and ticket.conversation_id == 42
    entry = ticket.timeline.get(event="transcript")
    assert entry.new_value["reason"] == "no_agent" and [line["sender"] for line in entry.new_value["lines"]] == ["customer", "bot"]
    assert Ticket.objects.get(pk=ticket.pk).search_text.count(" 水费 ") == 1


def test_converting_the_same_chat_twice_returns_the_first_ticket(team: Any, customer: Any) -> None:
    first = services.create_from_conversation(
        conversation_id=7, customer=customer, team=team, subject="Help", transcript=[], now=T0, dispatch=False
    )
    again = services.create_from_conversation(
        conversation_id=7, customer=customer, team=team, subject="Help", transcript=[], now=at(1), dispatch=False
    )
    assert again.pk == first.pk and Ticket.objects.count() == 1


def test_an_agent_converting_a_chat_gets_the_ticket(team: Any, customer: Any, alice: Any) -> None:
    ticket = services.create_from_conversation(
        conversation_id=9, customer=customer, team=team, subject="Meter", transcript=[], now=T0, reason="converted", by=alice
    )
    assert ticket.assignee_id == alice.pk
    assert TimelineEntry.objects.filter(ticket=ticket, event="transcript", author_agent=alice).exists()


def test_an_unknown_conversation_reason_is_refused(team: Any) -> None:
    with pytest.raises(InvalidInput):
        services.create_from_conversation(conversation_id=1, customer=None, team=team, subject="x", transcript=[], now=T0, reason="bored")


def test_the_system_may_open_tickets_for_any_team(make_ticket: Any, other_team: Any) -> None:
    assert make_ticket(actor=SYSTEM, team=other_team).team_id == other_team.pk
