"""The console's ticket desk pages: who gets them, what they carry (no ticket data: it comes from the API), the CSP."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import CustomerFactory
from tickets import services
from tickets.access import SYSTEM

pytestmark = pytest.mark.django_db
HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
PAGES = ["/console/tickets/", "/console/tickets/1/"]


@pytest.mark.parametrize("url", PAGES)
def test_ticket_pages_need_a_signed_in_user(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/console/login/?next={url}"


@pytest.mark.parametrize("url", PAGES)
def test_a_user_without_an_agent_profile_gets_the_clear_page(client: Client, non_agent_user: Any, url: str) -> None:
    client.force_login(non_agent_user)
    response = client.get(url)
    assert response.status_code == 403
    assert b'data-testid="no-agent"' in response.content
    assert b"console-config" not in response.content


def test_the_ticket_page_carries_no_ticket_data_and_no_inline_script(client: Client, agent: Any, channel: Any) -> None:
    customer = CustomerFactory(name=HOSTILE, email="evil@example.com")
    ticket = services.create_ticket(actor=SYSTEM, team=channel.team, customer=customer, subject=HOSTILE, now=timezone.now())
    client.force_login(agent.user)
    for url in ("/console/tickets/", f"/console/tickets/{ticket.pk}/"):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200
        assert "pwned" not in html and "onerror" not in html and "evil@example.com" not in html
        assert len(re.findall(r"<script\b", html)) == 2  # the JSON config and the module
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "style-src 'self'" in csp


def test_the_ticket_page_tells_its_script_which_ticket(client: Client, agent: Any) -> None:
    client.force_login(agent.user)
    response = client.get("/console/tickets/42/")
    assert response.context["config"]["ticket_id"] == 42
    assert response.context["config"]["agent_id"] == agent.pk
    assert 'data-testid="ticket-composer"' in response.content.decode()


def test_the_desk_pages_speak_chinese_when_asked(client: Client, agent: Any) -> None:
    client.force_login(agent.user)
    html = client.get("/console/tickets/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "保存视图" in html and "工单" in html
    assert client.get("/console/tickets/", HTTP_ACCEPT_LANGUAGE="zh-CN").context["config"]["i18n"]["Unassigned pool"] == "待领取"


def test_the_conversation_console_links_to_the_tickets(client: Client, agent: Any) -> None:
    client.force_login(agent.user)
    assert 'data-testid="nav-tickets"' in client.get("/console/").content.decode()
