"""Who the portal's visitor is: a customer id in the session under a key of its own (customers are not
Django users, so an agent's sign-in never makes anyone a customer, nor the reverse)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse

from contactcenter.core.customers.models import Customer

SESSION_KEY = "tickets.portal.customer_id"


def sign_in(request: HttpRequest, customer: Customer) -> None:
    # A new session key: whoever planted the old one (session fixation) does not get the sign-in.
    request.session.cycle_key()
    request.session[SESSION_KEY] = customer.pk


def sign_out(request: HttpRequest) -> None:
    """Forget the customer only: an agent signed in in the same browser stays signed in."""
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def current_customer(request: HttpRequest) -> Customer | None:
    cached = getattr(request, "_portal_customer", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    customer_id = request.session.get(SESSION_KEY)
    if not isinstance(customer_id, int):
        return None
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        request.session.pop(SESSION_KEY, None)
        return None
    request._portal_customer = customer  # type: ignore[attr-defined]
    return customer


def customer_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The view gets ``customer=`` the signed-in customer; anyone else is sent to sign in first."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        customer = current_customer(request)
        if customer is None:
            return HttpResponseRedirect(f"{reverse('tickets-portal:sign-in')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, customer=customer, **kwargs)

    return wrapped


def client_ip(request: HttpRequest) -> str:
    """The caller's address; behind the TLS proxy, the one the proxy appended to X-Forwarded-For."""
    if settings.SECURE_PROXY_SSL_HEADER is not None:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded.split(",")[-1].strip())[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def public_base_url(request: HttpRequest) -> str:
    """Scheme and host for links in mails: CC_PUBLIC_URL when set (never trust a Host header with a
    sign-in token), else this request's host, which ALLOWED_HOSTS vouches for."""
    return str(settings.CC_PUBLIC_URL) or request.build_absolute_uri("/").rstrip("/")
