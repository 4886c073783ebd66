"""Working a ticket: audited field changes, replies and notes, solve / close / reopen."""

from __future__ import annotations

from typing import Any

import pytest

from contactcenter.core.errors import Forbidden, InvalidInput, NotFound
from tests.tickets.conftest import T0, at
from tickets import services
from tickets.errors import TicketClosed
from tickets.models import Stage, Status, Ticket, TicketType, TimelineEntry


def changes(ticket: Ticket) -> list[tuple[str, Any, Any, int | None]]:
    return list(
        ticket.timeline.filter(kind=TimelineEntry.Kind.FIELD_CHANGE).values_list("field", "old_value", "new_value", "author_agent_id")
    )


def test_every_changed_field_is_one_audit_entry_with_who_and_when(make_ticket: Any, alice: Any) -> None:
    ticket = make_ticket()
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(60), priority="high", category="账单", subject="Water bill too high")
    audit = ticket.timeline.filter(kind="field_change").order_by("field")
    assert [(e.field, e.old_value, e.new_value, e.author_agent_id, e.created_at) for e in audit] == [
        ("category", "", "账单", alice.pk, at(60)),
        ("priority", "normal", "high", alice.pk, at(60)),
    ]


def test_tags_due_date_and_followers_are_audited_too(make_ticket: Any, alice: Any, bob: Any) -> None:
    ticket = make_ticket()
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(1), tags=["VIP", "bill"], due_at=at(3600), followers=[bob])
    assert sorted(f for f, *_ in changes(ticket)) == ["due_at", "followers", "tags"]
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["bill", "vip"]


def test_custom_fields_update_partially_and_are_validated(make_ticket: Any, alice: Any) -> None:
    kind = TicketType.objects.create(
        name="Repair", field_schema=[{"name": "meter_no", "kind": "text", "required": True}, {"name": "floor", "kind": "number"}]
    )
    ticket = make_ticket(ticket_type=kind, custom_fields={"meter_no": "M-1"})
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(1), custom_fields={"floor": 3})
    assert Ticket.objects.get(pk=ticket.pk).custom_fields == {"meter_no": "M-1", "floor": 3}
    with pytest.raises(InvalidInput):
        services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(2), custom_fields={"floor": "three"})


def test_moving_to_a_closing_stage_solves_and_back_reopens(make_ticket: Any, alice: Any, team: Any) -> None:
    ticket = make_ticket()
    solved = Stage.objects.get(team=team, closing=True, position=2)
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(5), stage=solved)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.solved_at == at(5)
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(6), stage=Stage.objects.get(team=team, position=1))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.solved_at is None


def test_a_stage_of_another_team_is_refused(make_ticket: Any, alice: Any, other_team: Any) -> None:
    ticket = make_ticket()
    foreign = Stage.objects.create(team=other_team, name="Elsewhere")
    with pytest.raises(InvalidInput):
        services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(1), stage=foreign)


def test_an_unchanged_value_writes_no_entry(make_ticket: Any, alice: Any) -> None:
    ticket = make_ticket()
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(1), priority="normal")
    assert changes(ticket) == []


def test_a_reply_is_public_and_a_note_internal_both_in_one_ordered_timeline(make_ticket: Any, alice: Any, customer: Any) -> None:
    ticket = make_ticket()
    services.reply(ticket_id=ticket.pk, actor=alice, body="We are checking your meter.", now=at(10))
    services.add_note(ticket_id=ticket.pk, actor=alice, body="Probably a leak", now=at(20))
    services.reply(ticket_id=ticket.pk, actor=customer, body="Thanks", now=at(30))
    assert list(ticket.timeline.order_by("created_at", "id").values_list("kind", flat=True)) == [
        "system",
        "public_reply",
        "internal_note",
        "public_reply",
    ]


def test_replies_are_searchable_but_notes_are_not(make_ticket: Any, alice: Any) -> None:
    ticket = make_ticket()
    services.reply(ticket_id=ticket.pk, actor=alice, body="退款已经处理", now=at(10))
    services.add_note(ticket_id=ticket.pk, actor=alice, body="secretword", now=at(20))
    text = Ticket.objects.get(pk=ticket.pk).search_text
    assert " 退款 " in text and "secretword" not in text


def test_a_customer_cannot_write_internal_notes(make_ticket: Any, customer: Any) -> None:
    ticket = make_ticket()
    with pytest.raises(Forbidden):
        services.add_note(ticket_id=ticket.pk, actor=customer, body="hi", now=at(1))


def test_a_customer_cannot_reply_on_someone_elses_ticket(make_ticket: Any) -> None:
    from tests.factories import CustomerFactory

    ticket = make_ticket()
    with pytest.raises(NotFound):
        services.reply(ticket_id=ticket.pk, actor=CustomerFactory(), body="hi", now=at(1))


def test_a_customer_reply_reopens_a_solved_ticket(make_ticket: Any, alice: Any, customer: Any) -> None:
    ticket = make_ticket()
    services.solve_ticket(ticket_id=ticket.pk, actor=alice, now=at(10))
    services.reply(ticket_id=ticket.pk, actor=customer, body="Still broken", now=at(20))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and not ticket.stage.closing


def test_nobody_replies_on_a_closed_ticket(make_ticket: Any, alice: Any) -> None:
    ticket = make_ticket()
    services.close_ticket(ticket_id=ticket.pk, actor=alice, now=at(10))
    with pytest.raises(TicketClosed):
        services.reply(ticket_id=ticket.pk, actor=alice, body="late", now=at(20))


def test_solve_close_and_reopen_move_stage_status_and_timestamps(make_ticket: Any, alice: Any) -> None:
    ticket = make_ticket()
    solved = services.solve_ticket(ticket_id=ticket.pk, actor=alice, now=at(10))
    assert (solved.status, solved.stage.name, solved.solved_at) == ("solved", "Solved", at(10))
    closed = services.close_ticket(ticket_id=ticket.pk, actor=alice, now=at(20))
    assert (closed.status, closed.stage.name, closed.closed_at, closed.solved_at) == ("closed", "Closed", at(20), at(10))
    reopened = services.reopen_ticket(ticket_id=ticket.pk, actor=alice, now=at(30))
    assert (reopened.status, reopened.stage.name, reopened.closed_at, reopened.solved_at) == ("open", "New", None, None)
    assert [f for f, *_ in changes(ticket) if f == "status"] == ["status", "status", "status"]


def test_a_reply_tells_the_team_the_assignee_and_followers(make_ticket: Any, alice: Any, bob: Any, team: Any, capture_events: Any) -> None:
    ticket = make_ticket(assignee=alice)
    services.update_ticket(ticket_id=ticket.pk, actor=alice, now=at(1), followers=[bob])
    with capture_events() as sent:
        services.reply(ticket_id=ticket.pk, actor=alice, body="On it", now=at(2))
    groups = {g for g, e in sent if e["type"] == "ticket.replied"}
    assert groups == {f"tickets.team.{team.pk}", f"tickets.agent.{alice.pk}", f"tickets.agent.{bob.pk}"}


def test_attachments_are_stored_on_the_entry(make_ticket: Any, alice: Any) -> None:
    ticket = make_ticket()
    entry = services.reply(
        ticket_id=ticket.pk,
        actor=alice,
        body="See photo",
        now=at(1),
        attachments=[services.AttachmentUpload("meter.png", b"\x89PNG", "image/png")],
    )
    stored = entry.attachments.get()
    assert (stored.filename, stored.size, stored.ticket_id) == ("meter.png", 4, ticket.pk)
    assert stored.file.read() == b"\x89PNG"


def test_the_time_is_the_one_passed_in(make_ticket: Any) -> None:
    assert make_ticket(now=T0).created_at == T0
