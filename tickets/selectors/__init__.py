"""Every ticket desk read: agents' lists, search, details and timelines; the customer side (public only)."""

from tickets.selectors.agent import (
    MAX_PAGE_SIZE,
    SORTS,
    TicketFilters,
    TicketPage,
    agent_open_ticket_count,
    filtered_tickets,
    similar_solved_tickets,
    ticket_detail,
    ticket_links,
    ticket_list,
    ticket_timeline,
)
from tickets.selectors.customer import customer_attachment, customer_ticket, customer_tickets, customer_timeline

__all__ = [
    "MAX_PAGE_SIZE",
    "SORTS",
    "TicketFilters",
    "TicketPage",
    "agent_open_ticket_count",
    "customer_attachment",
    "customer_ticket",
    "customer_tickets",
    "customer_timeline",
    "filtered_tickets",
    "similar_solved_tickets",
    "ticket_detail",
    "ticket_links",
    "ticket_list",
    "ticket_timeline",
]
