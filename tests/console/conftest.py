"""Fixtures for the console pages and the agents' REST API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from chat import services
from tests.factories import AgentFactory, ConversationFactory, UserFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def conversation(channel: Any) -> Any:
    return ConversationFactory(channel=channel)


@pytest.fixture
def other_team_conversation(db: Any) -> Any:
    return ConversationFactory()


@pytest.fixture
def api(agent: Any) -> APIClient:
    client = APIClient()
    client.force_login(agent.user)
    return client


@pytest.fixture
def non_agent_user(db: Any) -> Any:
    return UserFactory()


@pytest.fixture
def other_agent(channel: Any) -> Any:
    return AgentFactory(teams=[channel.team])


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_attachment(*, conversation: Any, agent: Any, name: str = "photo.png", content: bytes = PNG) -> Any:
    return services.store_attachment(conversation_id=conversation.pk, sender=services.Sender.for_agent(agent), upload=upload(name, content))


def visitor_says(conversation: Any, body: str, client_id: str) -> Any:
    return services.post_message(
        conversation_id=conversation.pk,
        sender=services.Sender.visitor(conversation.customer_id),
        body=body,
        client_id=client_id,
        now=timezone.now(),
    )
