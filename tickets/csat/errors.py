"""CSAT and follow-up visit errors users can cause, each with a stable code."""

from __future__ import annotations

from contactcenter.core.errors import Conflict, InvalidInput


class AlreadyRated(Conflict):
    code = "already_rated"
    default_message = "This contact was already rated."


class NotRatable(Conflict):
    code = "not_ratable"
    default_message = "This contact cannot be rated yet."


class LinkInvalid(InvalidInput):
    code = "link_invalid"
    default_message = "This rating link is not valid."


class LinkExpired(InvalidInput):
    code = "link_expired"
    default_message = "This rating link has expired."


class VisitDone(Conflict):
    code = "visit_done"
    default_message = "This follow-up visit already has an outcome."
