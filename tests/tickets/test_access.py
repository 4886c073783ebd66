"""Who sees which tickets: agents their teams' (and what they work on), supervisors and admins all,
customers their own; everything else reads as NotFound."""

from __future__ import annotations

from typing import Any

import pytest

from contactcenter.core.errors import Forbidden, NotFound
from contactcenter.core.staff.models import AgentProfile
from tests.factories import AgentFactory, CustomerFactory
from tests.tickets.conftest import at
from tickets import access, services


def test_an_agent_sees_the_tickets_of_their_teams_only(make_ticket: Any, alice: Any, other_team: Any) -> None:
    mine, theirs = make_ticket(), make_ticket(team=other_team)
    assert list(access.visible_tickets(alice)) == [mine]
    with pytest.raises(NotFound):
        access.access_ticket(actor=alice, ticket_id=theirs.pk)


def test_an_agent_sees_a_ticket_of_another_team_they_collaborate_on_or_follow(make_ticket: Any, outsider: Any, supervisor: Any) -> None:
    collaborating, following = make_ticket(), make_ticket()
    services.update_ticket(ticket_id=collaborating.pk, actor=supervisor, now=at(1), collaborators=[outsider])
    services.update_ticket(ticket_id=following.pk, actor=supervisor, now=at(1), followers=[outsider])
    assert set(access.visible_tickets(outsider)) == {collaborating, following}


def test_supervisors_and_admins_see_every_ticket(make_ticket: Any, other_team: Any, supervisor: Any) -> None:
    tickets = {make_ticket(), make_ticket(team=other_team)}
    admin = AgentFactory(role=AgentProfile.Role.ADMIN)
    assert set(access.visible_tickets(supervisor)) == tickets == set(access.visible_tickets(admin))


def test_a_customer_sees_only_their_own_tickets(make_ticket: Any, customer: Any) -> None:
    mine, other = make_ticket(), make_ticket(customer=CustomerFactory())
    assert list(access.visible_tickets(customer)) == [mine]
    with pytest.raises(NotFound):
        access.access_ticket_by_number(actor=customer, number=other.number)


def test_a_hidden_ticket_and_a_missing_one_raise_the_same_error(make_ticket: Any, outsider: Any) -> None:
    hidden = make_ticket()
    with pytest.raises(NotFound) as for_hidden:
        services.reply(ticket_id=hidden.pk, actor=outsider, body="hi", now=at(1))
    with pytest.raises(NotFound) as for_missing:
        services.reply(ticket_id=hidden.pk + 1000, actor=outsider, body="hi", now=at(1))
    assert for_hidden.value.as_dict() == for_missing.value.as_dict()


@pytest.mark.parametrize(
    "action",
    [
        lambda t, c: services.update_ticket(ticket_id=t.pk, actor=c, now=at(1), priority="urgent"),
        lambda t, c: services.assign_ticket(ticket_id=t.pk, actor=c, agent=None, now=at(1)),
        lambda t, c: services.dispatch_ticket(ticket_id=t.pk, actor=c, now=at(1)),
        lambda t, c: services.solve_ticket(ticket_id=t.pk, actor=c, now=at(1)),
        lambda t, c: services.close_ticket(ticket_id=t.pk, actor=c, now=at(1)),
        lambda t, c: services.add_note(ticket_id=t.pk, actor=c, body="x", now=at(1)),
        lambda t, c: services.bulk_update(ticket_ids=[t.pk], actor=c, now=at(1), priority="low"),
        lambda t, c: services.merge_tickets(ticket_ids=[t.pk], into_id=t.pk + 1, actor=c, now=at(1)),
        lambda t, c: services.link_tickets(ticket_id=t.pk, other_id=t.pk + 1, kind="related", actor=c, now=at(1)),
    ],
    ids=["update", "assign", "dispatch", "solve", "close", "note", "bulk", "merge", "link"],
)
def test_a_customer_cannot_do_desk_work_even_on_their_own_ticket(make_ticket: Any, customer: Any, action: Any) -> None:
    ticket = make_ticket()
    with pytest.raises(Forbidden):
        action(ticket, customer)


def test_a_customer_may_reply_urge_and_reopen_their_own_ticket(make_ticket: Any, customer: Any, alice: Any) -> None:
    ticket = make_ticket()
    services.reply(ticket_id=ticket.pk, actor=customer, body="Any news?", now=at(1))
    services.urge_ticket(ticket_id=ticket.pk, actor=customer, now=at(2))
    services.solve_ticket(ticket_id=ticket.pk, actor=alice, now=at(3))
    assert services.reopen_ticket(ticket_id=ticket.pk, actor=customer, now=at(4)).status == "open"
