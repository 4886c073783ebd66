"""Ticket desk tables: types, stages, tags, tickets, links, the timeline, attachments, urges, follow-ups,
saved views and portal sign-in links."""

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
from tickets.models.views import PortalLink, SavedView

__all__ = [
    "FollowUp",
    "PortalLink",
    "Priority",
    "SavedView",
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
