"""Serves the widget's loader script and its lazily loaded vendor files to any website."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

STATIC_DIR = Path(__file__).resolve().parent / "static" / "widget"

# Only these files are served, each with how long a browser may keep it without asking again.
# widget.js keeps one stable URL on every site that embeds it, so its cache is short (the ETag
# makes the revalidation cheap); the vendor file is requested with its version in the query.
SCRIPTS = {
    "widget.js": 300,
    "vendor/socket.io.min.js": 86400,
}


@dataclass(frozen=True)
class ScriptFile:
    body: bytes
    etag: str


@lru_cache(maxsize=len(SCRIPTS))
def _read_cached(name: str) -> ScriptFile:
    return _read(name)


def _read(name: str) -> ScriptFile:
    body = (STATIC_DIR / name).read_bytes()
    return ScriptFile(body=body, etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _script(name: str) -> ScriptFile:
    # In development the file is edited while the server runs; read it on every request then.
    return _read(name) if settings.DEBUG else _read_cached(name)


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in candidates or "*" in candidates


def serve_script(request: HttpRequest, name: str) -> HttpResponse:
    max_age = SCRIPTS.get(name)
    if max_age is None:
        raise Http404
    script = _script(name)
    response: HttpResponse
    if _etag_matches(request, script.etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(script.body, content_type="application/javascript; charset=utf-8")
    response["ETag"] = script.etag
    response["Cache-Control"] = f"public, max-age={max_age}"
    # Embedded on other origins: readable by any page, loadable under COEP/CORP.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def widget_js(request: HttpRequest) -> HttpResponse:
    return serve_script(request, "widget.js")


@require_safe
def vendor_socketio_js(request: HttpRequest) -> HttpResponse:
    return serve_script(request, "vendor/socket.io.min.js")
