"""Every ticket desk read: agents' lists, search, details and timelines; the customer side (public only)."""

from tickets.selectors.agent import (
    MAX_PAGE_SIZE,
    SORTS,
    TicketFilters,
    TicketPage,
    agent_open_ticket_count,
    filtered_tickets,
    similar_solved_tickets,
    ticket_attachment,
    ticket_detail,
    ticket_links,
    ticket_list,
    ticket_timeline,
)
from tickets.selectors.customer import customer_attachment, customer_ticket, customer_tickets, customer_timeline
from tickets.selectors.desk import MAX_SELECTION, Desk, DeskTeam, desk, matching_ticket_ids, ticket_id_by_number, visible_saved_views

__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_SELECTION",
    "SORTS",
    "Desk",
    "DeskTeam",
    "TicketFilters",
    "TicketPage",
    "agent_open_ticket_count",
    "customer_attachment",
    "customer_ticket",
    "customer_tickets",
    "customer_timeline",
    "desk",
    "filtered_tickets",
    "matching_ticket_ids",
    "similar_solved_tickets",
    "ticket_attachment",
    "ticket_detail",
    "ticket_id_by_number",
    "ticket_links",
    "ticket_list",
    "ticket_timeline",
    "visible_saved_views",
]
