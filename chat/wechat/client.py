"""The one adapter to WeChat's server API: the access token (fetched, shared in the database until it
expires, refreshed when WeChat says it is invalid or expired) and the customer-service message API.

The base URL is the setting ``CC_WECHAT_API_BASE`` (https://api.weixin.qq.com), so tests point it at a
local fake of the API. Plain ``urllib``: a few JSON POSTs do not need another dependency.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat.wechat.models import WeChatAccount

logger = logging.getLogger(__name__)

#: errcodes that mean "this access token is no good": fetch a new one and try once more.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
#: The 48-hour customer-service window has closed (or its message quota is spent): retrying cannot help.
WINDOW_ERRORS = frozenset({45015, 45047})
#: A token is replaced this long before WeChat's expiry, so a send never races the expiry.
TOKEN_MARGIN = timedelta(minutes=5)


class WeChatError(Exception):
    """The API answered with an errcode other than 0."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatUnavailable(Exception):
    """The API could not be reached or did not answer with JSON (retry later)."""


def api_base() -> str:
    return str(getattr(settings, "CC_WECHAT_API_BASE", "https://api.weixin.qq.com")).rstrip("/")


def _timeout() -> float:
    return float(getattr(settings, "CC_WECHAT_TIMEOUT_S", 5.0))


def _request(path: str, *, query: dict[str, str], body: bytes | None = None, content_type: str = "application/json") -> dict[str, Any]:
    url = f"{api_base()}{path}?{urllib.parse.urlencode(query)}"
    if not url.startswith(("https://", "http://")):
        raise WeChatUnavailable("CC_WECHAT_API_BASE must be an http(s) URL")
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")  # noqa: S310
    if body is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=_timeout()) as response:  # noqa: S310 (the base URL is a setting)
            raw = response.read(1024 * 1024)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise WeChatUnavailable(f"{type(exc).__name__}: {exc}") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WeChatUnavailable("the API did not answer with JSON") from exc
    if not isinstance(data, dict):
        raise WeChatUnavailable("the API did not answer with a JSON object")
    errcode = data.get("errcode", 0)
    if isinstance(errcode, int) and errcode != 0:
        raise WeChatError(errcode, str(data.get("errmsg", "")))
    return data


class WeChatApi:
    """The API of one Official Account."""

    def __init__(self, account: WeChatAccount) -> None:
        self.account = account

    # -- the access token ----------------------------------------------------------------------------

    def access_token(self, *, now: datetime | None = None, force: bool = False) -> str:
        """The stored token while it is valid; else a new one from /cgi-bin/token (one node at a time)."""
        now = now or timezone.now()
        account = self.account
        if not force and account.access_token and account.access_token_expires_at and account.access_token_expires_at > now:
            return account.access_token
        with transaction.atomic():
            locked = WeChatAccount.objects.select_for_update().get(pk=account.pk)
            stale = force and locked.access_token == account.access_token
            if locked.access_token and locked.access_token_expires_at and locked.access_token_expires_at > now and not stale:
                # Another node fetched one meanwhile.
                account.access_token, account.access_token_expires_at = locked.access_token, locked.access_token_expires_at
                return account.access_token
            data = _request("/cgi-bin/token", query={"grant_type": "client_credential", "appid": locked.appid, "secret": locked.appsecret})
            token = str(data.get("access_token", ""))
            if not token:
                raise WeChatUnavailable("the token answer had no access_token")
            expires_in = int(data.get("expires_in", 7200))
            expires_at = now + max(timedelta(seconds=expires_in) - TOKEN_MARGIN, timedelta(seconds=60))
            WeChatAccount.objects.filter(pk=locked.pk).update(access_token=token, access_token_expires_at=expires_at)
        account.access_token, account.access_token_expires_at = token, expires_at
        return token

    def _call(
        self, path: str, *, body: bytes, content_type: str = "application/json", query: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """POST with the access token; a token WeChat calls invalid or expired is refreshed once."""
        try:
            return _request(path, query={"access_token": self.access_token(), **(query or {})}, body=body, content_type=content_type)
        except WeChatError as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
            logger.info("WeChat %s: access token refused (%s); fetching a new one", self.account.appid, error.errcode)
            token = self.access_token(force=True)
            return _request(path, query={"access_token": token, **(query or {})}, body=body, content_type=content_type)

    # -- customer-service messages (客服消息) ------------------------------------------------------------

    def send_text(self, *, openid: str, text: str) -> None:
        payload = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        self._call("/cgi-bin/message/custom/send", body=json.dumps(payload, ensure_ascii=False).encode())

    def send_image(self, *, openid: str, media_id: str) -> None:
        payload = {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}}
        self._call("/cgi-bin/message/custom/send", body=json.dumps(payload).encode())

    def upload_image(self, *, data: bytes, filename: str, content_type: str) -> str:
        """A temporary media (3 days) for send_image; its media_id."""
        boundary = uuid.uuid4().hex
        safe_name = "".join(ch for ch in filename if ch.isalnum() or ch in "._-") or "image"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="media"; filename="{safe_name}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        answer = self._call(
            "/cgi-bin/media/upload", body=body, content_type=f"multipart/form-data; boundary={boundary}", query={"type": "image"}
        )
        media_id = answer.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise WeChatUnavailable("the upload answer had no media_id")
        return media_id
