"""Ticket desk errors users can cause, each with a stable code."""

from __future__ import annotations

from contactcenter.core.errors import Conflict, InvalidInput


class AlreadyTaken(Conflict):
    code = "already_taken"
    default_message = "Someone else took this ticket first."


class UrgedRecently(Conflict):
    code = "urged_recently"
    http_status = 429
    default_message = "You urged this ticket a moment ago."


class MergeRefused(Conflict):
    code = "merge_refused"
    default_message = "These tickets cannot be merged."


class TicketClosed(Conflict):
    code = "ticket_closed"
    default_message = "This ticket is closed."


class InvalidCustomFields(InvalidInput):
    code = "invalid_custom_fields"
    default_message = "Some custom fields are not valid."
