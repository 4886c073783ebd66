"""Every ticket desk write: one transaction each, audited on the timeline, events after commit.

Callers pass the acting person (an AgentProfile, a Customer, or ``tickets.access.SYSTEM``); every
service looks the ticket up through :mod:`tickets.access`, so a ticket the actor may not see is
NotFound. Time is passed in (``now``).
"""

from tickets.services._common import UNSET, Unset
from tickets.services.bulk import MAX_BULK, BulkResult, bulk_update
from tickets.services.create import CONVERSATION_REASONS, TranscriptLine, create_from_conversation, create_ticket
from tickets.services.dispatch import (
    URGE_INTERVAL,
    assign_ticket,
    cancel_follow_up,
    dispatch_ticket,
    fire_due_follow_ups,
    grab_ticket,
    redispatch_ticket,
    schedule_follow_up,
    urge_ticket,
)
from tickets.services.merge import link_tickets, merge_tickets, unlink_tickets
from tickets.services.routing_bridge import ticket_queue
from tickets.services.saved_views import create_saved_view, delete_saved_view, update_saved_view
from tickets.services.work import (
    AttachmentUpload,
    add_note,
    close_ticket,
    reopen_ticket,
    reply,
    solve_ticket,
    update_ticket,
)

__all__ = [
    "CONVERSATION_REASONS",
    "MAX_BULK",
    "UNSET",
    "URGE_INTERVAL",
    "AttachmentUpload",
    "BulkResult",
    "TranscriptLine",
    "Unset",
    "add_note",
    "assign_ticket",
    "bulk_update",
    "cancel_follow_up",
    "close_ticket",
    "create_from_conversation",
    "create_saved_view",
    "create_ticket",
    "delete_saved_view",
    "dispatch_ticket",
    "fire_due_follow_ups",
    "grab_ticket",
    "link_tickets",
    "merge_tickets",
    "redispatch_ticket",
    "reopen_ticket",
    "reply",
    "schedule_follow_up",
    "solve_ticket",
    "ticket_queue",
    "unlink_tickets",
    "update_saved_view",
    "update_ticket",
    "urge_ticket",
]
