"""From a solved ticket to an FAQ proposal: the question and answer prefilled from the ticket go
into the knowledge base's review queue (bot.services.propose_article), for a supervisor to approve."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from bot.models import Article
from bot.retrieval.text import has_cjk
from bot.services import propose_article
from contactcenter.core.errors import InvalidInput
from contactcenter.core.staff.models import AgentProfile
from tickets import access
from tickets.models import TimelineEntry
from tickets.models.ticket import Status


def propose_faq(*, ticket_id: int, agent: AgentProfile, now: datetime, question: str = "", answer: str = "") -> Article:
    """``question`` defaults to the ticket's subject, ``answer`` to the agents' last public reply.
    Only solved or closed tickets: an answer that did not solve anything is no FAQ."""
    ticket = access.access_ticket(actor=agent, ticket_id=ticket_id)
    if ticket.status not in (Status.SOLVED, Status.CLOSED):
        raise InvalidInput(_("Only a solved ticket can become an FAQ."), field="status")
    if not answer.strip():
        last = (
            TimelineEntry.objects.filter(ticket=ticket, kind=TimelineEntry.Kind.PUBLIC_REPLY, author_agent__isnull=False)
            .order_by("-created_at", "-id")
            .values_list("body", flat=True)
            .first()
        )
        answer = last or ""
    question = question.strip() or ticket.subject
    if not answer.strip():
        raise InvalidInput(_("The ticket has no agent reply to propose as the answer; write one."), field="answer")
    language = "zh" if has_cjk(question + answer) else "en"
    tags = list(ticket.tags.values_list("name", flat=True))
    return propose_article(
        by=agent, question=question, answer=answer, language=language, source=f"ticket:{ticket.number}", now=now, tags=tags
    )
