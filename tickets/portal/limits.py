"""Refuse an oversized upload from its Content-Length, before anything reads the body.

Django's CSRF check reads the form (request.POST) before the view runs, and a multipart body is
spooled to disk as it is read: an anonymous web form would otherwise take any size of file onto
the server's disk before saying no. So these views are exempt from the middleware's check and run
it themselves, after the length check."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from tickets.api import uploads


def bounded_upload(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    protected = csrf_protect(view)

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > uploads.max_bytes() + uploads.MULTIPART_OVERHEAD:
            return HttpResponse(str(uploads.too_large().message), status=413, content_type="text/plain; charset=utf-8")
        return protected(request, *args, **kwargs)

    return csrf_exempt(wrapped)
