"""A local fake SMS gateway (an HTTP server on a free port) and the settings that point the channel at it."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class FakeGateway:
    url: str
    #: What to answer, in order: (status, JSON body, seconds to wait first); then 200 with a fresh id.
    answers: list[tuple[int, dict[str, Any], float]] = field(default_factory=list)
    #: Each request: (headers, JSON body).
    seen: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(fake: FakeGateway) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with fake.lock:
                fake.seen.append((dict(self.headers), body))
                code, answer, delay = fake.answers.pop(0) if fake.answers else (200, {"id": f"gw-{len(fake.seen)}"}, 0.0)
            time.sleep(delay)
            raw = json.dumps(answer).encode()
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except OSError:  # the client gave up waiting
                pass

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def sms_gateway(settings: Any) -> Iterator[FakeGateway]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    fake = FakeGateway(url=f"http://127.0.0.1:{server.server_address[1]}/v1/sms")
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CC_SMS_GATEWAY_URL = fake.url
    settings.CC_SMS_GATEWAY_TOKEN = "tok-123"
    settings.CC_SMS_SENDER = "Shop"
    settings.CC_SMS_TIMEOUT_S = 0.5
    yield fake
    server.shutdown()
    server.server_close()
