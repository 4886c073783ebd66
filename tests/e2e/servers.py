"""Server-side helpers for the end-to-end tests: profiles, service databases, sessions, DB checks."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.liveserver import LiveServer

DEMO_PASSWORD = "demo-pass-2026"
PG_URL = os.environ.get("CC_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
_MARK = "@@E2E@@"


def embedded_env() -> dict[str, str]:
    # Empty values count as unset in settings: SQLite and the in-memory layer, whatever the
    # environment of the test run says.
    return {"DATABASE_URL": "", "REDIS_URL": ""}


def _admin_dsn() -> str:
    parts = urllib.parse.urlsplit(PG_URL)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(_admin_dsn(), connect_timeout=2):
            return True
    except Exception:
        return False


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping())
    except Exception:
        return False


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A database of its own for this run (created here, dropped afterwards); yields its URL."""
    import psycopg

    name = f"cc_e2e_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(PG_URL)
    try:
        yield urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
    finally:
        with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def services_env(database_url: str) -> dict[str, str]:
    """The production profile: PostgreSQL + Redis, keys of our own, one secret for every process."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "CC_CHANNEL_PREFIX": f"cce2e{os.getpid()}{secrets.token_hex(3)}",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


def shell_json(server: LiveServer, code: str) -> Any:
    """Run Python in the server's Django (``manage shell -c``); ``code`` sets ``result``."""
    script = f"import json\n{code}\nprint({_MARK!r} + json.dumps(result, default=str))"
    out = server.manage("shell", "-c", script)
    for line in reversed(out.splitlines()):
        if line.startswith(_MARK):
            return json.loads(line[len(_MARK) :])
    raise AssertionError(f"no result from the server's shell:\n{out[-2000:]}")


def login_over_http(server: LiveServer, username: str, password: str = DEMO_PASSWORD) -> str | None:
    """Sign in through /console/login/ like a browser; the session key, or None if there is no such page."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_url = f"{server.url}/console/login/"
    try:
        page = opener.open(login_url, timeout=10).read().decode("utf-8", "replace")
    except urllib.error.HTTPError:
        return None
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        return None
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}).encode()
    request = urllib.request.Request(login_url, data=form, headers={"Referer": login_url, "Origin": server.url})
    try:
        opener.open(request, timeout=10).read()
    except urllib.error.HTTPError:
        return None
    return next((c.value for c in jar if c.name == "sessionid"), None)


def create_sessions(server: LiveServer, usernames: list[str]) -> dict[str, str]:
    """Session keys for these users, written straight into the server's session store."""
    code = f"""
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
result = {{}}
for user in get_user_model().objects.filter(username__in={usernames!r}):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    result[user.username] = store.session_key
"""
    return dict(shell_json(server, code))


def agent_sessions(server: LiveServer, usernames: list[str]) -> dict[str, str]:
    """Log the agents in through the console's login page if it exists, else create their sessions."""
    keys: dict[str, str] = {}
    for username in usernames:
        key = login_over_http(server, username)
        if key is None:
            break
        keys[username] = key
    else:
        return keys
    return create_sessions(server, usernames)


def stored_messages(server: LiveServer, conversation_id: int) -> list[dict[str, Any]]:
    code = f"""
from chat.models import Message
messages = Message.objects.filter(conversation_id={int(conversation_id)}).order_by("seq")
result = list(messages.values("seq", "client_id", "sender_kind", "body", "internal"))
"""
    return list(shell_json(server, code))


def conversation_row(server: LiveServer, conversation_id: int) -> dict[str, Any]:
    code = f"""
from chat.models import Conversation
result = Conversation.objects.filter(pk={int(conversation_id)}).values("id", "status", "assignee__user__username", "last_seq").first()
"""
    return dict(shell_json(server, code))


def take_outcomes(server: LiveServer, conversation_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per conversation: who is assigned, and who the "joined" system messages name."""
    code = f"""
from chat.models import Conversation, Message
result = {{}}
for conversation in Conversation.objects.filter(pk__in={[int(i) for i in conversation_ids]!r}).select_related("assignee__user"):
    metas = Message.objects.filter(conversation=conversation, sender_kind="system").order_by("seq").values_list("meta", flat=True)
    result[conversation.pk] = {{
        "assignee": conversation.assignee.user.username if conversation.assignee else None,
        "joined": [m.get("agent_name") for m in metas if m.get("event") == "agent_joined"],
    }}
"""
    return {int(k): v for k, v in shell_json(server, code).items()}


@dataclass(frozen=True)
class DemoBanner:
    shop_url: str
    console_url: str
    logins: list[tuple[str, str, str]]  # role, user, password


def printed_demo_banner(server: LiveServer) -> DemoBanner:
    """What ``contactcenter demo`` printed at its first start: the shop page, the console, the logins."""
    text = server.log_path.read_text(errors="replace")
    shop = re.search(r"Shop page with the chat widget:\s+(\S+)", text)
    console = re.search(r"Agent console:\s+(\S+)", text)
    assert shop and console, f"the demo printed no page or console address:\n{text[:2000]}"
    logins = re.findall(r"^\s{4}(agent|supervisor|admin)\s+(\S+) / (\S+)\s*$", text, flags=re.MULTILINE)
    return DemoBanner(shop_url=shop.group(1), console_url=console.group(1), logins=list(dict.fromkeys(logins)))
