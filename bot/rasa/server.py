"""The action server ``contactcenter rasa-actions`` runs: rasa-sdk's Sanic app with our actions,
in one process (Django is set up here, so no spawned workers), with request checks in front of it.

rasa-sdk answers a body it cannot use with a 500 that echoes the request; the check in front
turns malformed bodies into a 400 ``{"error": ...}`` first. Unknown actions keep rasa-sdk's
own 404 ``{"error", "action_name"}``, which Rasa understands."""

from __future__ import annotations

import json
import logging
import secrets
import zlib
from collections.abc import Mapping
from typing import Any

from rasa_sdk.endpoint import create_app as create_rasa_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bot import knowledge
from bot.rasa.actions import ACTIONS

logger = logging.getLogger(__name__)

# Rasa sends the whole tracker with every call; a long conversation is some hundreds of KB.
REQUEST_MAX_BYTES = 4 * 1024 * 1024


def build_executor() -> ActionExecutor:
    executor = ActionExecutor()
    for action in ACTIONS:
        executor.register_action(action)
    return executor


def webhook_problem(body: bytes, *, content_encoding: str = "") -> str | None:
    """Why rasa-sdk could not run this /webhook body, or None when it has the shape Rasa sends."""
    if content_encoding == "deflate":
        decompressor = zlib.decompressobj()
        try:
            body = decompressor.decompress(body, REQUEST_MAX_BYTES)
        except zlib.error:
            return "The body is not deflate-compressed."
        if decompressor.unconsumed_tail:
            return "The body is too large."
    try:
        call = json.loads(body)
    except (ValueError, RecursionError):
        return "The body is not JSON."
    if not isinstance(call, dict):
        return "The body must be a JSON object."
    if not isinstance(call.get("next_action"), str) or not call["next_action"]:
        return "next_action must be the name of an action."
    if call.get("version") is not None and not isinstance(call["version"], str):
        return "version must be text."
    if call.get("domain") is not None and not isinstance(call["domain"], dict):
        return "domain must be an object."
    tracker = call.get("tracker")
    if not isinstance(tracker, dict):
        return "tracker must be an object."
    if not isinstance(tracker.get("sender_id"), str):
        return "tracker.sender_id must be text."
    for name, kind, label in (("slots", dict, "an object"), ("latest_message", dict, "an object"), ("events", list, "a list")):
        if tracker.get(name) is not None and not isinstance(tracker[name], kind):
            return f"tracker.{name} must be {label}."
    return None


def create_app(*, token: str = "") -> Sanic[Any, Any]:
    """rasa-sdk's app (/webhook, /actions, /health) with our actions. With ``token``, /webhook and
    /actions need ``?token=...`` (what Rasa's ``action_endpoint: token:`` sends)."""
    # Server to server: no browser page may call it, so no CORS.
    app: Sanic[Any, Any] = create_rasa_app(build_executor(), cors_origins="")
    app.config.REQUEST_MAX_SIZE = REQUEST_MAX_BYTES

    async def check_request(request: Request) -> HTTPResponse | None:
        if request.path == "/health":
            return None
        if token and not secrets.compare_digest(str(request.args.get("token", "")).encode(), token.encode()):
            return json_response({"error": "A valid token is required."}, status=401)
        if request.path != "/webhook" or request.method != "POST":
            return None
        # Sanic refuses a larger body, but runs this check on what it read before its error.
        length = request.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > REQUEST_MAX_BYTES:
            return json_response({"error": "The body is too large.", "action_name": None}, status=413)
        problem = webhook_problem(request.body, content_encoding=request.headers.get("Content-Encoding", ""))
        if problem is None:
            return None
        call = _try_json(request.body)
        action_name = call.get("next_action") if isinstance(call, Mapping) else None
        return json_response({"error": problem, "action_name": action_name if isinstance(action_name, str) else None}, status=400)

    app.register_middleware(check_request, "request")
    return app


def _try_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def serve(*, host: str, port: int, token: str = "") -> None:
    """Build the knowledge-base index first (the first question would wait for it), then serve
    until SIGINT or SIGTERM."""
    index = knowledge.current_index()
    logger.info("rasa action server: %d articles in the index", len(index.articles))
    app = create_app(token=token)
    logger.info("rasa action server on http://%s:%d/webhook (actions: %s)", host, port, ", ".join(a.action_name for a in ACTIONS))
    app.run(host=host, port=port, single_process=True, access_log=False, motd=False)
