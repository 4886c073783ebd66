"""What the customer portal shows of CSAT on a ticket: the rating link while a solved ticket waits for one, or the answer."""

from __future__ import annotations

from typing import Any

from tickets.csat.models import Rating
from tickets.csat.services import rating_path
from tickets.models import Status, Ticket


def rating_context(ticket: Ticket) -> dict[str, Any]:
    rating = Rating.objects.filter(ticket=ticket).first()
    ratable = rating is None and ticket.status != Status.OPEN
    return {"csat_url": rating_path(ticket_id=ticket.pk) if ratable else "", "csat_rating": rating}
