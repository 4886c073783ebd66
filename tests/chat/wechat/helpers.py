"""A local fake of WeChat's API (an HTTP server in the test process) and signed callbacks."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.test import Client

from chat.wechat import crypto
from chat.wechat.models import WeChatAccount

TOKEN = "cc-test-token"
APPID = "wx0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the admin shows them


@dataclass
class FakeWeChat:
    """Records every call; ``script`` holds errcodes to answer the next sends with (0 = ok)."""

    url: str = ""
    calls: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    tokens_issued: int = 0

    def sends(self) -> list[tuple[str, dict[str, Any]]]:
        """(access_token, JSON body) of every customer-service send."""
        return [(q["access_token"], body) for path, q, body in self.calls if path == "/cgi-bin/message/custom/send"]


def start_fake() -> tuple[FakeWeChat, ThreadingHTTPServer]:
    fake = FakeWeChat()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            fake.calls.append((parts.path, query, None))
            if parts.path == "/cgi-bin/token" and query.get("appid") == APPID and query.get("secret") == "s3cret":
                fake.tokens_issued += 1
                self._answer({"access_token": f"token-{fake.tokens_issued}", "expires_in": 7200})
            else:
                self._answer({"errcode": 40013, "errmsg": "invalid appid"})

        def do_POST(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body: Any = json.loads(raw) if self.headers.get("Content-Type", "").startswith("application/json") else raw
            fake.calls.append((parts.path, query, body))
            if parts.path == "/cgi-bin/media/upload":
                self._answer({"type": "image", "media_id": "media-1", "created_at": int(time.time())})
                return
            errcode = fake.script.pop(0) if fake.script else 0
            self._answer({"errcode": errcode, "errmsg": "ok" if errcode == 0 else "scripted"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server


def text_xml(content: str, *, openid: str = "oUser123456", msg_id: str = "1001", msg_type: str = "text", **extra: str) -> bytes:
    fields = {
        "ToUserName": "gh_test",
        "FromUserName": openid,
        "CreateTime": str(int(time.time())),
        "MsgType": msg_type,
        "Content": content,
        "MsgId": msg_id,
        **extra,
    }
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items() if v != "")
    return f"<xml>{inner}</xml>".encode()


def signed_query(*, token: str = TOKEN, timestamp: int | None = None, nonce: str = "n0nce", **extra: str) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"signature": crypto.signature(token, ts, nonce), "timestamp": ts, "nonce": nonce, **extra}


def post(account: WeChatAccount, body: bytes, query: dict[str, str]) -> Any:
    path = f"/wechat/{account.channel.public_key}/?{urllib.parse.urlencode(query)}"
    return Client().post(path, data=body, content_type="text/xml")


def encrypted_post(account: WeChatAccount, inner: bytes) -> Any:
    ciphertext = crypto.encrypt(inner, encoding_aes_key=AES_KEY, appid=APPID)
    query = signed_query(encrypt_type="aes")
    query["msg_signature"] = crypto.signature(TOKEN, query["timestamp"], query["nonce"], ciphertext)
    body = f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>".encode()
    return post(account, body, query)
