"""A solved ticket proposes an FAQ article into the knowledge base's review queue."""

from __future__ import annotations

from typing import Any

import pytest

from bot.models import Article
from contactcenter.core.errors import InvalidInput, NotFound
from tickets.faq import propose_faq
from tickets.services import reply, solve_ticket

pytestmark = pytest.mark.django_db


def test_a_solved_ticket_proposes_its_subject_and_the_agents_last_reply_for_review(make_ticket: Any, alice: Any) -> None:
    from tests.tickets.conftest import at

    ticket = make_ticket(subject="光猫红灯一直闪怎么办", assignee=alice)
    reply(ticket_id=ticket.pk, actor=alice, body="先检查光纤接头", now=at(1))
    reply(ticket_id=ticket.pk, actor=alice, body="红灯说明光纤中断，请报修。", now=at(2))
    solve_ticket(ticket_id=ticket.pk, actor=alice, now=at(3))
    article = propose_faq(ticket_id=ticket.pk, agent=alice, now=at(4))
    assert (article.status, article.audience, article.language) == (Article.Status.IN_REVIEW, Article.Audience.PUBLIC, "zh")
    assert (article.question, article.answer) == ("光猫红灯一直闪怎么办", "红灯说明光纤中断，请报修。")
    assert article.source == f"ticket:{ticket.number}"


def test_an_open_ticket_is_no_faq_yet(make_ticket: Any, alice: Any) -> None:
    from tests.tickets.conftest import at

    ticket = make_ticket(subject="Router", assignee=alice)
    with pytest.raises(InvalidInput):
        propose_faq(ticket_id=ticket.pk, agent=alice, now=at(1), answer="Restart it.")


def test_an_agent_who_may_not_see_the_ticket_cannot_propose_from_it(make_ticket: Any, alice: Any, outsider: Any) -> None:
    from tests.tickets.conftest import at

    ticket = make_ticket(subject="Router", assignee=alice)
    solve_ticket(ticket_id=ticket.pk, actor=alice, now=at(1))
    with pytest.raises(NotFound):
        propose_faq(ticket_id=ticket.pk, agent=outsider, now=at(2), answer="Restart it.")
