"""Reads for the customer side (portal, web form answers, notifications): a customer's own tickets and
their public history only. Internal notes, field changes and system entries never leave here, nor
attachments of internal notes. Every public function of this module is exercised by
tests/tickets/test_customer_selectors.py against a ticket with internal notes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from contactcenter.core.customers.models import Customer
from contactcenter.core.errors import NotFound
from tickets import access, search
from tickets.models import Ticket, TicketAttachment, TimelineEntry
from tickets.selectors.agent import similar_solved_tickets


def _own(customer: Customer) -> QuerySet[Ticket]:
    return access.visible_tickets(customer).filter(merged_into__isnull=True)


def customer_tickets(*, customer: Customer, page: int = 1, page_size: int = 20, q: str = "") -> list[Ticket]:
    """The customer's tickets, newest first (2 queries: rows with stage and type)."""
    tickets = _own(customer)
    if q.strip():
        condition = search.matches(q)
        if condition is None:
            return []
        tickets = tickets.filter(condition)
    start = (max(page, 1) - 1) * page_size
    return list(tickets.select_related("stage", "type").order_by("-created_at", "-id")[start : start + max(1, min(page_size, 100))])


@dataclass(frozen=True, slots=True)
class CustomerTicketPage:
    tickets: list[Ticket]
    page: int
    has_next: bool


def customer_ticket_page(*, customer: Customer, page: int = 1, page_size: int = 20, q: str = "") -> CustomerTicketPage:
    """One page of the customer's tickets, last changed first (one query: a row more than the page
    tells whether there is a next one). ``q``: words of the public text, or a ticket number."""
    page, page_size = max(page, 1), max(1, min(page_size, 100))
    tickets = _own(customer)
    if q.strip():
        condition = search.matches(q)
        if condition is None:
            return CustomerTicketPage([], page, has_next=False)
        tickets = tickets.filter(condition | Q(number=q.strip().upper()))
    start = (page - 1) * page_size
    rows = list(tickets.order_by("-updated_at", "-id")[start : start + page_size + 1])
    return CustomerTicketPage(rows[:page_size], page, has_next=len(rows) > page_size)


def customer_similar_solved_tickets(*, customer: Customer, subject: str, limit: int = 5) -> list[Ticket]:
    """The customer's own solved or closed tickets like ``subject`` (hints while typing). Never
    another customer's: their subjects are theirs."""
    return similar_solved_tickets(actor=customer, subject=subject, limit=limit)


def customer_ticket(*, customer: Customer, number: str) -> Ticket:
    """One of the customer's tickets by number; a merged one reads as the ticket it was merged into."""
    ticket = access.access_ticket_by_number(actor=customer, number=number)
    if ticket.merged_into_id is not None:
        ticket = access.access_ticket(actor=customer, ticket_id=ticket.merged_into_id)
    return ticket


def public_attachments() -> QuerySet[TicketAttachment]:
    return TicketAttachment.objects.filter(entry__kind__in=TimelineEntry.PUBLIC_KINDS)


def customer_timeline(*, customer: Customer, ticket_id: int) -> list[TimelineEntry]:
    """The public replies of the customer's ticket in order, with their attachments."""
    ticket = access.access_ticket(actor=customer, ticket_id=ticket_id)
    return list(
        TimelineEntry.objects.filter(ticket=ticket, kind__in=TimelineEntry.PUBLIC_KINDS)
        .select_related("author_agent", "author_customer")
        .prefetch_related(Prefetch("attachments", queryset=public_attachments()))
        .order_by("created_at", "id")
    )


def customer_attachment(*, customer: Customer, attachment_id: int) -> TicketAttachment:
    """An attachment of a public reply on the customer's ticket, else NotFound."""
    found = public_attachments().filter(pk=attachment_id, ticket__in=_own(customer).values("pk")).first()
    if found is None:
        raise NotFound()
    return found
