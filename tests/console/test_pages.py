"""Sign-in, sign-out, the console shell and what it must never contain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from contactcenter.console.strings import JS_STRINGS, js_catalog
from tests.factories import ConversationFactory, CustomerFactory

pytestmark = pytest.mark.django_db

JS_DIR = Path(__file__).resolve().parents[2] / "contactcenter" / "console" / "static" / "console" / "js"
HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def test_login_page_is_our_own_in_english(client: Client) -> None:
    response = client.get("/console/login/")
    assert response.status_code == 200
    assert b"Sign in to the agent console" in response.content
    assert b'data-testid="login-form"' in response.content


def test_login_page_speaks_chinese_when_the_browser_asks_for_it(client: Client) -> None:
    response = client.get("/console/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert "登录".encode() in response.content
    assert b'<html lang="zh-hans">' in response.content


def test_agent_signs_in_and_lands_on_the_console(client: Client, agent) -> None:
    response = client.post("/console/login/", {"username": agent.user.username, "password": "pw"})
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_wrong_password_shows_an_error_and_no_session(client: Client, agent) -> None:
    response = client.post("/console/login/", {"username": agent.user.username, "password": "wrong"})
    assert response.status_code == 200
    assert b'data-testid="login-error"' in response.content
    assert "_auth_user_id" not in client.session


def test_sign_out_by_get_is_refused(client: Client, agent) -> None:
    client.force_login(agent.user)
    assert client.get("/console/logout/").status_code == 405
    assert "_auth_user_id" in client.session


def test_sign_out_by_post_ends_the_session_and_returns_to_sign_in(client: Client, agent) -> None:
    client.force_login(agent.user)
    response = client.post("/console/logout/")
    assert response.status_code == 302 and response["Location"] == "/console/login/"
    assert "_auth_user_id" not in client.session


def test_console_needs_a_signed_in_user(client: Client) -> None:
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"] == "/console/login/?next=/console/"


def test_user_without_an_agent_profile_gets_a_clear_page(client: Client, non_agent_user) -> None:
    client.force_login(non_agent_user)
    response = client.get("/console/")
    assert response.status_code == 403
    assert b'data-testid="no-agent"' in response.content
    assert b"not set up as an agent" in response.content
    assert b"console-config" not in response.content


def test_console_page_has_the_hooks_end_to_end_tests_use(client: Client, agent) -> None:
    client.force_login(agent.user)
    html = client.get("/console/").content.decode()
    for hook in (
        "inbox-mine",
        "inbox-unassigned",
        "take-button",
        "resolve-button",
        "composer-input",
        "send-button",
        "internal-note-toggle",
        "transcript",
        "typing-indicator",
        "customer-card",
        "status-select",
        "connection-state",
    ):
        assert f'data-testid="{hook}"' in html, hook


def test_console_page_carries_no_customer_data(client: Client, agent, channel) -> None:
    customer = CustomerFactory(name=HOSTILE, email="evil@example.com")
    ConversationFactory(channel=channel, customer=customer)
    client.force_login(agent.user)
    html = client.get("/console/").content.decode()
    # Customers reach the page only as JSON frames over the socket, rendered with textContent.
    assert "pwned" not in html
    assert "onerror" not in html
    assert "evil@example.com" not in html
    assert len(re.findall(r"<script\b", html)) == 2  # the JSON config and the module, nothing inline to run


def test_console_page_forbids_inline_scripts(client: Client, agent) -> None:
    client.force_login(agent.user)
    csp = client.get("/console/")["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


def test_agent_name_in_the_top_bar_is_escaped(client: Client, agent) -> None:
    agent.display_name = HOSTILE
    agent.save()
    client.force_login(agent.user)
    html = client.get("/console/").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


def test_language_switch_turns_the_console_chinese(client: Client, agent) -> None:
    client.force_login(agent.user)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/console/"})
    assert response.status_code == 302 and response["Location"] == "/console/"
    html = client.get("/console/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "未分配" in html  # "Unassigned"


def test_every_string_the_scripts_show_is_in_the_catalog() -> None:
    used: set[str] = set()
    for path in JS_DIR.glob("*.js"):
        used |= set(re.findall(r'\b(?:t|N_)\("((?:[^"\\]|\\.)*)"', path.read_text(encoding="utf-8")))
    assert used, "the extraction pattern found nothing"
    assert sorted(used - set(JS_STRINGS)) == []


def test_script_catalog_is_translated_to_chinese() -> None:
    same_in_both = {"%(n)s B", "%(n)s KB", "%(n)s MB"}
    with translation.override("zh-hans"):
        catalog = js_catalog()
    untranslated = [text for text, translated in catalog.items() if translated == text and text not in same_in_both]
    assert untranslated == []
