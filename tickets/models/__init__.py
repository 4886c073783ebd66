"""Ticket desk tables: types, stages, tags, tickets, links, the timeline, attachments, urges, follow-ups."""

from tickets.models.desk import Stage, Tag, TicketCounter, TicketType
from tickets.models.ticket import (
    FollowUp,
    Priority,
    Source,
    Status,
    Ticket,
    TicketAttachment,
    TicketLink,
    TimelineEntry,
    Urge,
)

__all__ = [
    "FollowUp",
    "Priority",
    "Source",
    "Stage",
    "Status",
    "Tag",
    "Ticket",
    "TicketAttachment",
    "TicketCounter",
    "TicketLink",
    "TicketType",
    "TimelineEntry",
    "Urge",
]
