"""The visitor attachments API: upload and download with the visitor token, per-channel CORS."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from chat import services
from chat.models import Attachment, Conversation
from chat.visitors import issue_token
from contactcenter.core.customers.services import customer_for_visitor
from tests.factories import AgentFactory, ChannelFactory

pytestmark = pytest.mark.django_db

ORIGIN = "https://shop.example"
# Smallest valid PNG and PDF headers: the server checks types by content, not by name.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x1f\x15\xc4\x89" + b"\x00" * 40
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


class Visitor:
    """A widget visitor of one channel: its token, customer, and an HTTP client on its site."""

    def __init__(self, channel: Any, origin: str = ORIGIN) -> None:
        self.channel = channel
        self.token, identity = issue_token(channel_id=channel.pk)
        self.customer = customer_for_visitor(visitor_id=identity.visitor_id)
        self.http = Client(headers={"Origin": origin, "Authorization": f"Bearer {self.token}"})

    def upload(self, name: str, content: bytes, **headers: str) -> Any:
        url = f"/widget/api/attachments?channel={self.channel.public_key}"
        return self.http.post(url, {"file": SimpleUploadedFile(name, content)}, headers=headers or None)

    def download(self, attachment_id: int, **headers: str) -> Any:
        return self.http.get(f"/widget/api/attachments/{attachment_id}?channel={self.channel.public_key}", headers=headers or None)


@pytest.fixture
def visitor(channel: Any) -> Visitor:
    return Visitor(channel)


def test_visitor_uploads_an_image_and_gets_its_description(visitor: Visitor) -> None:
    response = visitor.upload("tea.png", PNG)
    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "filename": "tea.png", "content_type": "image/png", "size": len(PNG)}


def test_upload_answers_with_the_page_origin_for_cors(visitor: Visitor) -> None:
    response = visitor.upload("tea.png", PNG)
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response["Vary"]


def test_upload_starts_a_conversation_when_the_visitor_has_none(visitor: Visitor) -> None:
    attachment_id = visitor.upload("tea.png", PNG).json()["id"]
    conversation = Conversation.objects.get(customer=visitor.customer, channel=visitor.channel)
    assert Attachment.objects.get(pk=attachment_id).conversation == conversation


def test_upload_goes_to_the_visitors_open_conversation(visitor: Visitor) -> None:
    existing = services.start_conversation(channel=visitor.channel, customer=visitor.customer, language="en")
    attachment_id = visitor.upload("tea.png", PNG).json()["id"]
    assert Attachment.objects.get(pk=attachment_id).conversation_id == existing.pk
    assert Conversation.objects.filter(customer=visitor.customer).count() == 1


def test_owner_downloads_an_uploaded_image_inline(visitor: Visitor) -> None:
    attachment_id = visitor.upload("tea.png", PNG).json()["id"]
    response = visitor.download(attachment_id)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")


def test_download_is_sandboxed_and_never_sniffed(visitor: Visitor) -> None:
    attachment_id = visitor.upload("tea.png", PNG).json()["id"]
    response = visitor.download(attachment_id)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Access-Control-Allow-Origin"] == ORIGIN


def test_files_that_are_not_images_download_as_attachments(visitor: Visitor) -> None:
    attachment_id = visitor.upload("invoice.pdf", PDF).json()["id"]
    response = visitor.download(attachment_id)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="invoice.pdf"' in response["Content-Disposition"]


def test_upload_from_an_origin_the_channel_does_not_allow_is_forbidden(channel: Any) -> None:
    stranger = Visitor(channel, origin="https://evil.example")
    response = stranger.upload("tea.png", PNG)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "Access-Control-Allow-Origin" not in response


def test_download_from_an_origin_the_channel_does_not_allow_is_forbidden(channel: Any, visitor: Visitor) -> None:
    attachment_id = visitor.upload("tea.png", PNG).json()["id"]
    elsewhere = Visitor(channel, origin="https://evil.example")
    elsewhere.http = Client(headers={"Origin": "https://evil.example", "Authorization": f"Bearer {visitor.token}"})
    assert elsewhere.download(attachment_id).status_code == 403


def test_upload_without_a_token_is_unauthenticated(visitor: Visitor) -> None:
    visitor.http = Client(headers={"Origin": ORIGIN})
    response = visitor.upload("tea.png", PNG)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response["Access-Control-Allow-Origin"] == ORIGIN  # so the widget can read why


def test_upload_with_a_forged_token_is_unauthenticated(visitor: Visitor) -> None:
    response = visitor.upload("tea.png", PNG, Authorization=f"Bearer {visitor.token[:-4]}abcd")
    assert response.status_code == 401


def test_token_of_another_channel_is_unauthenticated(visitor: Visitor) -> None:
    other_channel = ChannelFactory()
    other_token, _ = issue_token(channel_id=other_channel.pk)
    response = visitor.upload("tea.png", PNG, Authorization=f"Bearer {other_token}")
    assert response.status_code == 401


def test_download_without_a_token_is_unauthenticated(visitor: Visitor) -> None:
    attachment_id = visitor.upload("tea.png", PNG).json()["id"]
    response = Client(headers={"Origin": ORIGIN}).get(f"/widget/api/attachments/{attachment_id}?channel={visitor.channel.public_key}")
    assert response.status_code == 401


def test_another_visitors_attachment_is_not_found(channel: Any, visitor: Visitor) -> None:
    attachment_id = visitor.upload("tea.png", PNG).json()["id"]
    other = Visitor(channel)
    other.upload("mine.png", PNG)  # the other visitor has a conversation of their own
    response = other.download(attachment_id)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_agent_upload_not_yet_sent_is_not_visible_to_the_visitor(channel: Any, visitor: Visitor) -> None:
    conversation = services.start_conversation(channel=channel, customer=visitor.customer, language="en")
    agent = AgentFactory(teams=[channel.team])
    draft = services.store_attachment(
        conversation_id=conversation.pk, sender=services.Sender.for_agent(agent), upload=SimpleUploadedFile("a.png", PNG)
    )
    assert visitor.download(draft.pk).status_code == 404


def test_agent_attachment_sent_to_the_visitor_is_visible(channel: Any, visitor: Visitor) -> None:
    conversation = services.start_conversation(channel=channel, customer=visitor.customer, language="en")
    agent = AgentFactory(teams=[channel.team])
    services.take_conversation(conversation_id=conversation.pk, agent=agent, now=timezone.now())
    sent = services.store_attachment(
        conversation_id=conversation.pk, sender=services.Sender.for_agent(agent), upload=SimpleUploadedFile("a.png", PNG)
    )
    services.agent_post_message(
        agent=agent, conversation_id=conversation.pk, body="", client_id="a1", attachment_ids=[sent.pk], now=timezone.now()
    )
    assert visitor.download(sent.pk).status_code == 200


def test_file_larger_than_the_limit_is_refused(visitor: Visitor, settings: Any) -> None:
    settings.CC_ATTACHMENT_MAX_BYTES = 1024
    response = visitor.upload("big.pdf", PDF + b"0" * 2048)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert response.json()["details"] == {"max_bytes": 1024}


def test_body_far_over_the_limit_is_refused_before_it_is_read(visitor: Visitor, settings: Any) -> None:
    settings.CC_ATTACHMENT_MAX_BYTES = 1024
    response = visitor.upload("huge.pdf", PDF + b"0" * 200_000)
    assert response.status_code == 413
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<!doctype html><script>alert(1)</script>"),
        ("pic.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("pic.png", b"<html><body onload=alert(1)>"),  # a harmless name does not help
    ],
)
def test_markup_is_refused_whatever_its_name(visitor: Visitor, name: str, content: bytes) -> None:
    response = visitor.upload(name, content)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Attachment.objects.exists()


def test_upload_without_a_file_field_is_invalid(visitor: Visitor) -> None:
    response = visitor.http.post(f"/widget/api/attachments?channel={visitor.channel.public_key}", {"other": "x"})
    assert response.status_code == 400
    assert response.json()["details"]["field"] == "file"


def test_unknown_channel_is_not_found(visitor: Visitor) -> None:
    response = visitor.http.post("/widget/api/attachments?channel=nope", {"file": SimpleUploadedFile("tea.png", PNG)})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_listing_attachments_is_not_a_method_of_this_api(visitor: Visitor) -> None:
    response = visitor.http.get(f"/widget/api/attachments?channel={visitor.channel.public_key}")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_preflight_from_an_allowed_origin_echoes_it(channel: Any) -> None:
    response = Client().options(
        f"/widget/api/attachments?channel={channel.public_key}",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"},
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in response["Access-Control-Allow-Headers"]
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_preflight_for_downloads_is_answered_too(channel: Any) -> None:
    response = Client().options(f"/widget/api/attachments/1?channel={channel.public_key}", headers={"Origin": ORIGIN})
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN


def test_preflight_from_another_origin_gets_no_cors_headers(channel: Any) -> None:
    response = Client().options(f"/widget/api/attachments?channel={channel.public_key}", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


def test_wildcard_channel_still_echoes_the_exact_origin(visitor: Visitor) -> None:
    visitor.channel.allowed_origins = ["*"]
    visitor.channel.save()
    visitor.http = Client(headers={"Origin": "https://any.example", "Authorization": f"Bearer {visitor.token}"})
    response = visitor.upload("tea.png", PNG)
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "https://any.example"
