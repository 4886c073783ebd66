"""The loader script and its vendored socket.io client, as any website fetches them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

SCRIPT = Path(__file__).resolve().parents[2] / "widget" / "static" / "widget" / "widget.js"


def test_widget_js_is_served_as_javascript_to_any_site() -> None:
    response = Client(headers={"Origin": "https://shop.example"}).get("/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.content == SCRIPT.read_bytes()


def test_widget_js_is_cached_briefly_and_revalidated_by_etag() -> None:
    first = Client().get("/widget.js")
    assert re.fullmatch(r"public, max-age=\d{1,4}", first["Cache-Control"])
    again = Client().get("/widget.js", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_a_stale_etag_gets_the_whole_script() -> None:
    response = Client().get("/widget.js", headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200


def test_socketio_client_comes_from_our_own_server() -> None:
    response = Client().get("/widget/vendor/socket.io.min.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"Socket.IO v4" in response.content[:200]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_widget_js_refuses_writes(method: str) -> None:
    assert getattr(Client(), method)("/widget.js").status_code == 405


def test_script_never_parses_strings_as_html() -> None:
    # Visitors' and agents' text must reach the page through text nodes only.
    source = SCRIPT.read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, sink


def test_script_loads_nothing_from_a_cdn() -> None:
    source = SCRIPT.read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[\w.-]+", source))
    assert urls <= {"https://HOST", "http://www.w3.org"}, urls
