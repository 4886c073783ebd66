"""Console pages: sign-in, sign-out and the agent workspace shell (data arrives over /ws/agent/)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.csrf import ensure_csrf_cookie

from contactcenter.console.strings import js_catalog
from contactcenter.core.staff.models import AgentProfile
from contactcenter.core.staff.selectors import agent_for_user

# The page holds no customer data (it all comes as JSON frames), so a strict policy costs nothing
# and turns any injection bug into a blocked request instead of a running script.
CONSOLE_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _with_csp(response: HttpResponse) -> HttpResponse:
    response["Content-Security-Policy"] = CONSOLE_CSP
    response["Referrer-Policy"] = "same-origin"
    return response


class ConsoleLoginView(LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _with_csp(super().get(request, *args, **kwargs))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _with_csp(super().post(request, *args, **kwargs))


class ConsoleLogoutView(LogoutView):
    """POST only (Django's LogoutView refuses GET): a link cannot sign an agent out."""

    next_page = "console:login"


@login_required
@ensure_csrf_cookie
def console(request: HttpRequest) -> HttpResponse:
    agent = agent_for_user(user_id=request.user.pk) if request.user.pk is not None else None
    if agent is None:
        return _with_csp(render(request, "console/no_agent.html", status=403))
    return _with_csp(render(request, "console/console.html", {"agent": agent, "config": _config(request, agent)}))


@login_required
@ensure_csrf_cookie
def tickets(request: HttpRequest) -> HttpResponse:
    """The ticket desk list: views, search, filters, bulk changes (data from /api/tickets/...)."""
    return _desk_page(request, "console/tickets.html")


@login_required
@ensure_csrf_cookie
def ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """One ticket: its timeline, properties and actions (data from /api/tickets/<id>/...)."""
    return _desk_page(request, "console/ticket.html", ticket_id=ticket_id)


def _desk_page(request: HttpRequest, template: str, **extra: Any) -> HttpResponse:
    agent = agent_for_user(user_id=request.user.pk) if request.user.pk is not None else None
    if agent is None:
        return _with_csp(render(request, "console/no_agent.html", status=403))
    config = {
        "agent_id": agent.pk,
        "language": get_language() or "en",
        "login_url": reverse("console:login"),
        "tickets_url": reverse("console:tickets"),
        "i18n": js_catalog(),
        **extra,
    }
    return _with_csp(render(request, template, {"agent": agent, "config": config}))


def _config(request: HttpRequest, agent: AgentProfile) -> dict[str, Any]:
    """What the page script needs to start; the rest comes from the socket's ``ready`` frame."""
    return {
        "agent_id": agent.pk,
        "language": get_language() or "en",
        "socket_path": "/ws/agent/",
        "login_url": reverse("console:login"),
        "api": {
            "upload": "/api/chat/conversations/{id}/attachments",
            "attachment": "/api/chat/attachments/{id}",
            "transfer_targets": "/api/chat/conversations/{id}/transfer-targets",
        },
        "statuses": list(AgentProfile.Status.values),
        "i18n": js_catalog(),
    }
