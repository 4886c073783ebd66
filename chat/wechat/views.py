"""The callback URL WeChat calls (GET to verify the server, POST for each message). Not part of our REST API."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from chat.wechat import inbound, xmlmsg
from chat.wechat.models import WeChatAccount

logger = logging.getLogger(__name__)


def _params(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "")[:512] for key in ("signature", "timestamp", "nonce", "echostr", "encrypt_type", "msg_signature")}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, channel_key: str) -> HttpResponseBase:
    account = (
        WeChatAccount.objects.select_related("channel__team").filter(channel__public_key=channel_key[:64], channel__is_active=True).first()
    )
    if account is None:
        return HttpResponse("unknown channel", status=404, content_type="text/plain")
    now = timezone.now()
    try:
        if request.method == "GET":
            return HttpResponse(inbound.verify_url(account, _params(request), now=now), content_type="text/plain")
        length = int(request.headers.get("Content-Length") or 0)
        if length > xmlmsg.MAX_BYTES:
            return HttpResponse("too large", status=413, content_type="text/plain")
        body = request.read(xmlmsg.MAX_BYTES + 1)
        if len(body) > xmlmsg.MAX_BYTES:
            return HttpResponse("too large", status=413, content_type="text/plain")
        inbound.receive(account, _params(request), body, now=now)
    except inbound.CallbackRefused as refused:
        logger.warning("WeChat callback for %s refused: %s", account.appid, refused.reason)
        return HttpResponse(refused.reason, status=refused.status, content_type="text/plain")
    except ValueError:
        return HttpResponse("bad request", status=400, content_type="text/plain")
    # "success" (or an empty body) tells WeChat not to retry and not to show "service unavailable";
    # replies go through the customer-service API, so nothing is answered passively here.
    return HttpResponse("success", content_type="text/plain")
