"""Portal and web-form pages: parse the form, check who asks, call a selector or a service, render.

Everything a customer may not see (another customer's ticket or attachment, an internal note's
file) is a plain 404, the same as a missing number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contactcenter.core.customers.models import Customer
from contactcenter.core.errors import ContactCenterError, NotFound
from contactcenter.core.staff.models import Team
from tickets import services
from tickets.csat import portal as csat_portal
from tickets.errors import UrgedRecently
from tickets.models import Source, Status, Ticket
from tickets.portal import auth, throttle
from tickets.portal.auth import customer_required
from tickets.portal.forms import NewTicketForm, ReplyForm, SignInForm, WebForm
from tickets.portal.limits import bounded_upload
from tickets.selectors import customer as customer_selectors
from tickets.selectors import faq
from tickets.services import portal as portal_services

# No script but our own files, no styles but our own, nothing framed: a bug that lets a customer's
# text into the markup then stays text instead of running.
PORTAL_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_SIZE = 20
WEBFORM_SESSION_KEY = "tickets.webform.last_number"


def _headers(response: HttpResponse) -> HttpResponse:
    response["Content-Security-Policy"] = PORTAL_CSP
    response["Referrer-Policy"] = "same-origin"
    response["X-Content-Type-Options"] = "nosniff"
    # Even the public pages carry a CSRF token and, when signed in, the customer's name.
    response["Cache-Control"] = "private, no-store"
    return response


def _page(request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, status: int = 200) -> HttpResponse:
    context = {"portal_customer": auth.current_customer(request), **(context or {})}
    return _headers(render(request, f"tickets/portal/{template}", context, status=status))


def _window_s() -> int:
    return int(settings.CC_PORTAL_WINDOW_MINUTES) * 60


def webform_teams() -> list[Team]:
    """Teams that opted in (CC_WEBFORM_TEAMS): their web form is open and portal customers may write to them."""
    slugs = [str(s) for s in settings.CC_WEBFORM_TEAMS if str(s).strip()]
    return list(Team.objects.filter(slug__in=slugs).order_by("name")) if slugs else []


# -- sign-in --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_path = portal_services.safe_next_path(request.POST.get("next") or request.GET.get("next") or "")
    if request.method == "GET":
        if auth.current_customer(request) is not None:
            return HttpResponseRedirect(next_path or reverse("tickets-portal:tickets"))
        return _page(request, "sign_in.html", {"form": SignInForm(initial={"next": next_path})})
    form = SignInForm(request.POST)
    if not form.is_valid():
        return _page(request, "sign_in.html", {"form": form}, status=400)
    now = timezone.now()
    allowed = throttle.allow(
        scope="link", key=auth.client_ip(request), limit=int(settings.CC_PORTAL_LINKS_PER_WINDOW), window_s=_window_s(), now=now
    )
    if not allowed:
        form.add_error(None, _("Too many sign-in links were asked for from here. Try again in a few minutes."))
        return _page(request, "sign_in.html", {"form": form}, status=429)
    # Known, unknown or over its limit: the same answer, so nobody learns who is a customer.
    portal_services.request_sign_in_link(
        email=form.cleaned_data["email"],
        now=now,
        base_url=auth.public_base_url(request),
        next_path=next_path,
        language=get_language() or "",
    )
    return _page(request, "link_sent.html", {"email": form.cleaned_data["email"], "minutes": settings.CC_PORTAL_LINK_MINUTES})


@require_http_methods(["GET", "POST"])
def redeem(request: HttpRequest, token: str) -> HttpResponse:
    """GET only asks for a click (mail scanners open links, and must not use them up); POST signs in.

    The token in the address never leaves the site: every portal page sends Referrer-Policy
    same-origin ("no-referrer" would make the browser's POST say Origin: null, which CSRF refuses)."""
    if request.method == "GET":
        return _page(request, "redeem.html", {})
    try:
        signed = portal_services.redeem_sign_in_link(token=token, now=timezone.now())
    except portal_services.InvalidSignInLink as error:
        return _page(request, "redeem.html", {"error": error.message}, status=400)
    auth.sign_in(request, signed.customer)
    return HttpResponseRedirect(signed.next_path or reverse("tickets-portal:tickets"))


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    auth.sign_out(request)
    return HttpResponseRedirect(reverse("tickets-portal:sign-in"))


# -- my tickets -----------------------------------------------------------------------------------


@require_GET
@customer_required
def ticket_list(request: HttpRequest, *, customer: Customer) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    found = customer_selectors.customer_ticket_page(customer=customer, page=page, page_size=PAGE_SIZE, q=q)
    return _page(request, "ticket_list.html", {"page": found, "q": q, "can_open": bool(webform_teams())})


def _ticket_or_404(customer: Customer, number: str) -> Ticket:
    try:
        return customer_selectors.customer_ticket(customer=customer, number=number)
    except NotFound as error:
        raise Http404() from error


def _detail(request: HttpRequest, customer: Customer, ticket: Ticket, *, asked_for: str, form: ReplyForm | None = None) -> HttpResponse:
    timeline = customer_selectors.customer_timeline(customer=customer, ticket_id=ticket.pk)
    context = {
        "ticket": ticket,
        "timeline": timeline,
        "form": form or ReplyForm(),
        "merged_from": asked_for.strip().upper() if asked_for.strip().upper() != ticket.number else "",
        "can_reply": ticket.status != Status.CLOSED,
        "can_reopen": ticket.status == Status.SOLVED,
        "can_urge": ticket.status == Status.OPEN,
        **csat_portal.rating_context(ticket),
    }
    return _page(request, "ticket_detail.html", context, status=400 if form is not None else 200)


@require_GET
@customer_required
def ticket_detail(request: HttpRequest, number: str, *, customer: Customer) -> HttpResponse:
    return _detail(request, customer, _ticket_or_404(customer, number), asked_for=number)


def _after(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    return HttpResponseRedirect(reverse("tickets-portal:ticket", kwargs={"number": ticket.number}))


def _act(request: HttpRequest, ticket: Ticket, action: Callable[[], object], done: str) -> HttpResponse:
    try:
        action()
    except UrgedRecently as error:
        minutes = max(1, (int(error.details.get("retry_after_s", 60)) + 59) // 60)
        messages.error(
            request, _("You urged this ticket a moment ago. You can urge it again in %(minutes)d minutes.") % {"minutes": minutes}
        )
    except NotFound as error:
        raise Http404() from error
    except ContactCenterError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, done)
    return _after(request, ticket)


@bounded_upload
@require_POST
@customer_required
def reply(request: HttpRequest, number: str, *, customer: Customer) -> HttpResponse:
    ticket = _ticket_or_404(customer, number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, customer, ticket, asked_for=number, form=form)
    return _act(
        request,
        ticket,
        lambda: services.reply(
            ticket_id=ticket.pk, actor=customer, body=form.cleaned_data["body"], now=timezone.now(), attachments=form.uploads()
        ),
        _("Your reply was sent."),
    )


@require_POST
@customer_required
def reopen(request: HttpRequest, number: str, *, customer: Customer) -> HttpResponse:
    ticket = _ticket_or_404(customer, number)
    if ticket.status != Status.SOLVED:
        messages.error(request, _("Only a solved ticket can be reopened."))
        return _after(request, ticket)
    return _act(
        request,
        ticket,
        lambda: services.reopen_ticket(ticket_id=ticket.pk, actor=customer, now=timezone.now()),
        _("The ticket is open again."),
    )


@require_POST
@customer_required
def urge(request: HttpRequest, number: str, *, customer: Customer) -> HttpResponse:
    ticket = _ticket_or_404(customer, number)
    return _act(
        request,
        ticket,
        lambda: services.urge_ticket(ticket_id=ticket.pk, actor=customer, now=timezone.now()),
        _("We told the team you are waiting."),
    )


@require_GET
@customer_required
def attachment(request: HttpRequest, attachment_id: int, *, customer: Customer) -> HttpResponseBase:
    try:
        found = customer_selectors.customer_attachment(customer=customer, attachment_id=attachment_id)
    except NotFound as error:
        raise Http404() from error
    try:
        handle = found.file.open("rb")
    except OSError as error:  # the row is there, the file is gone from storage: missing, like any other
        raise Http404() from error
    response = FileResponse(handle, as_attachment=True, filename=found.filename)
    response["Content-Type"] = found.content_type or "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it anyway: no script, no same-origin powers.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


@bounded_upload
@require_http_methods(["GET", "POST"])
@customer_required
def new_ticket(request: HttpRequest, *, customer: Customer) -> HttpResponse:
    teams = webform_teams()
    if not teams:
        return _page(request, "new_ticket.html", {"form": None}, status=404)
    if request.method == "GET":
        return _page(request, "new_ticket.html", {"form": NewTicketForm(teams=teams)})
    form = NewTicketForm(request.POST, request.FILES, teams=teams)
    if not form.is_valid():
        return _page(request, "new_ticket.html", {"form": form}, status=400)
    try:
        ticket = portal_services.open_customer_ticket(
            customer=customer,
            team=form.cleaned_data["team"],
            subject=form.cleaned_data["subject"],
            description=form.cleaned_data["description"],
            source=Source.PORTAL,
            attachments=form.uploads(),
            now=timezone.now(),
        )
    except ContactCenterError as error:
        form.add_error(None, str(error.message))
        return _page(request, "new_ticket.html", {"form": form}, status=400)
    messages.success(request, _("Thank you. Your ticket %(number)s is with our team.") % {"number": ticket.number})
    return _after(request, ticket)


# -- public knowledge base ------------------------------------------------------------------------


@require_GET
def help_search(request: HttpRequest) -> HttpResponse:
    q = " ".join(request.GET.get("q", "").split())[:200]
    articles = faq.faq_matches(query=q, language=get_language() or "", limit=10) if q else faq.latest_faq_articles(limit=20)
    return _page(request, "help.html", {"q": q, "articles": articles})


@require_GET
def help_article(request: HttpRequest, article_id: int) -> HttpResponse:
    try:
        article = faq.faq_article(article_id=article_id)
    except NotFound as error:
        raise Http404() from error
    return _page(request, "help_article.html", {"article": article})


# -- the public web form --------------------------------------------------------------------------


def _webform_team(slug: str) -> Team:
    team = next((t for t in webform_teams() if t.slug == slug), None)
    if team is None:
        raise Http404()
    return team


@bounded_upload
@require_http_methods(["GET", "POST"])
def webform(request: HttpRequest, slug: str) -> HttpResponse:
    team = _webform_team(slug)
    if request.method == "GET":
        customer = auth.current_customer(request)
        known = {"name": customer.name, "email": customer.email} if customer is not None else {}
        return _page(request, "webform.html", {"team": team, "form": WebForm(initial=known)})
    form = WebForm(request.POST, request.FILES)
    thanks = HttpResponseRedirect(reverse("tickets-portal:webform-thanks", kwargs={"slug": team.slug}))
    if form.is_bot():
        request.session.pop(WEBFORM_SESSION_KEY, None)
        return thanks  # a bot learns nothing; nothing is stored
    if not form.is_valid():
        return _page(request, "webform.html", {"team": team, "form": form}, status=400)
    now = timezone.now()
    if not throttle.allow(
        scope="webform", key=auth.client_ip(request), limit=int(settings.CC_WEBFORM_PER_IP), window_s=_window_s(), now=now
    ):
        form.add_error(None, _("Too many requests were sent from here. Try again in a few minutes."))
        return _page(request, "webform.html", {"team": team, "form": form}, status=429)
    try:
        ticket = portal_services.submit_webform(
            team=team,
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            subject=form.cleaned_data["subject"],
            description=form.cleaned_data["description"],
            attachments=form.uploads(),
            now=now,
            base_url=auth.public_base_url(request),
            language=get_language() or "",
        )
    except ContactCenterError as error:
        form.add_error(None, str(error.message))
        return _page(request, "webform.html", {"team": team, "form": form}, status=400)
    request.session[WEBFORM_SESSION_KEY] = ticket.number
    return thanks


@require_GET
def webform_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    team = _webform_team(slug)
    number = request.session.get(WEBFORM_SESSION_KEY, "")
    return _page(request, "webform_thanks.html", {"team": team, "number": number if isinstance(number, str) else ""})


@require_GET
def hints(request: HttpRequest) -> HttpResponse:
    """FAQ articles for a subject being typed, and (signed-in customers only) their own solved tickets like it."""
    q = " ".join(request.GET.get("q", "").split())[:200]
    team_value = request.GET.get("team", "")
    team = next((t for t in webform_teams() if team_value in (t.slug, str(t.pk))), None) if team_value else None
    payload: dict[str, list[dict[str, str]]] = {"articles": [], "tickets": []}
    allowed = throttle.allow(scope="hints", key=auth.client_ip(request), limit=120, window_s=60, now=timezone.now())
    if len(q) >= 2 and allowed:
        payload["articles"] = [
            {"id": str(a.id), "title": a.question, "excerpt": a.excerpt, "url": reverse("tickets-portal:help-article", args=[a.id])}
            for a in faq.faq_matches(query=q, language=get_language() or "", team_id=team.pk if team else None, limit=3)
        ]
        customer = auth.current_customer(request)
        if customer is not None:
            payload["tickets"] = [
                {
                    "number": t.number,
                    "subject": t.subject,
                    "status": str(Status(t.status).label),
                    "url": reverse("tickets-portal:ticket", kwargs={"number": t.number}),
                }
                for t in customer_selectors.customer_similar_solved_tickets(customer=customer, subject=q, limit=3)
            ]
    response = JsonResponse(payload, status=200 if allowed else 429)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
