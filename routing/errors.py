"""Routing errors users can cause, each with a stable code."""

from __future__ import annotations

from contactcenter.core.errors import Conflict, InvalidInput


class NoQueue(InvalidInput):
    code = "no_queue"
    default_message = "No queue takes this work."


class AtCapacity(Conflict):
    code = "at_capacity"
    default_message = "The agent has no free capacity for this."


class NoSupervisor(Conflict):
    code = "no_supervisor"
    default_message = "No supervisor is free to take this."


class OfferClosed(Conflict):
    code = "offer_closed"
    default_message = "This offer is no longer open."


class AlreadyTaken(Conflict):
    code = "already_taken"
    default_message = "Someone else took this first."
