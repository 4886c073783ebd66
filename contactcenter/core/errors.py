"""Error types users can cause, each with a stable code, mapped to one shape in HTTP and WebSocket."""

from __future__ import annotations

from typing import Any


class ContactCenterError(Exception):
    """Base for errors a user (visitor, agent, admin, API client) can cause."""

    code = "error"
    http_status = 400
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.details:
            payload["details"] = self.details
        return payload


class InvalidInput(ContactCenterError):
    code = "invalid"
    default_message = "The input is not valid."


class NotFound(ContactCenterError):
    # Also raised where the object exists but the caller may not see it, so ids cannot be probed.
    code = "not_found"
    http_status = 404
    default_message = "Not found."


class Forbidden(ContactCenterError):
    code = "forbidden"
    http_status = 403
    default_message = "You may not do this."


class Unauthenticated(ContactCenterError):
    code = "unauthenticated"
    http_status = 401
    default_message = "Sign in first."


class Conflict(ContactCenterError):
    code = "conflict"
    http_status = 409
    default_message = "Someone else changed this first."
