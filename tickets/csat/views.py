"""The public rating page /csat/<token>/: no sign-in (the signed link is the key), CSRF on the POST, strict CSP."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from contactcenter.core.errors import ContactCenterError, InvalidInput
from tickets.csat import services
from tickets.csat.errors import AlreadyRated, LinkExpired, LinkInvalid
from tickets.csat.models import MAX_COMMENT, MAX_SCORE, MIN_SCORE, Rating

# The portal's policy: no script at all on this page, our own styles only, nothing framed.
CSAT_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SCORES = list(range(MIN_SCORE, MAX_SCORE + 1))


def _page(request: HttpRequest, context: dict[str, object], *, status: int = 200) -> HttpResponse:
    response = render(request, "tickets_csat/rate.html", {"scores": SCORES, "max_comment": MAX_COMMENT, **context}, status=status)
    response["Content-Security-Policy"] = CSAT_CSP
    response["Referrer-Policy"] = "no-referrer"  # the token is in the address
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@csrf_protect
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ticket = services.ratable_ticket(token)
    except LinkExpired:
        return _page(request, {"state": "expired"}, status=410)
    except LinkInvalid:
        return _page(request, {"state": "invalid"}, status=404)
    existing = Rating.objects.filter(ticket=ticket).first()
    if existing is not None:
        return _page(request, {"state": "done", "ticket": ticket, "rating": existing})
    if ticket.status == "open":
        return _page(request, {"state": "open", "ticket": ticket}, status=409)
    if request.method == "GET":
        return _page(request, {"state": "ask", "ticket": ticket})
    raw = request.POST.get("score", "")
    comment = request.POST.get("comment", "")
    try:
        score = int(raw) if raw.isdigit() and len(raw) == 1 else None
        if score is None:
            raise InvalidInput(field="score")
        rating = services.rate_ticket(token=token, score=score, comment=comment, now=timezone.now())
    except AlreadyRated:
        return _page(request, {"state": "done", "ticket": ticket, "rating": Rating.objects.filter(ticket=ticket).first()}, status=409)
    except InvalidInput as error:
        field = str(error.details.get("field", "score"))
        return _page(request, {"state": "ask", "ticket": ticket, "error": field, "comment": comment[:MAX_COMMENT]}, status=400)
    except ContactCenterError:
        return _page(request, {"state": "open", "ticket": ticket}, status=409)
    return _page(request, {"state": "thanks", "ticket": ticket, "rating": rating})
