"""The agents' REST API: uploads, downloads, lists and transcript pages, and who may not use them."""

from __future__ import annotations

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from chat import services
from chat.models import Attachment
from tests.console.conftest import PDF, PNG, stored_attachment, upload, visitor_says

pytestmark = pytest.mark.django_db


def upload_url(conversation) -> str:
    return f"/api/chat/conversations/{conversation.pk}/attachments"


# ------------------------------------------------------------------------------------ upload


def test_agent_uploads_a_file_to_a_conversation_of_their_team(api: APIClient, conversation, agent) -> None:
    response = api.post(upload_url(conversation), {"file": upload("receipt.pdf", PDF)}, format="multipart")
    assert response.status_code == 201
    body = response.json()
    assert body["filename"] == "receipt.pdf" and body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    stored = Attachment.objects.get(pk=body["id"])
    assert stored.uploaded_by_agent == agent and stored.message is None


def test_upload_to_another_teams_conversation_is_not_found(api: APIClient, other_team_conversation) -> None:
    response = api.post(upload_url(other_team_conversation), {"file": upload("a.pdf", PDF)}, format="multipart")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Attachment.objects.exists()


def test_upload_refuses_markup_whatever_its_name(api: APIClient, conversation) -> None:
    response = api.post(upload_url(conversation), {"file": upload("note.txt", b"<html><script>alert(1)</script>")}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_upload_without_a_file_field_says_which_field(api: APIClient, conversation) -> None:
    response = api.post(upload_url(conversation), {"other": "x"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["details"]["field"] == "file"


def test_upload_over_the_size_limit_is_refused_before_reading_it(api: APIClient, conversation, settings) -> None:
    settings.CC_ATTACHMENT_MAX_BYTES = 1024
    big = PDF + b"x" * (80 * 1024)
    response = api.post(upload_url(conversation), {"file": upload("big.pdf", big)}, format="multipart")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_upload_needs_the_csrf_token(agent, conversation) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(agent.user)
    response = client.post(upload_url(conversation), {"file": upload("a.pdf", PDF)}, format="multipart")
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]


def test_visitor_without_a_session_cannot_upload(conversation) -> None:
    response = APIClient().post(upload_url(conversation), {"file": upload("a.pdf", PDF)}, format="multipart")
    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"


def test_signed_in_user_who_is_not_an_agent_cannot_upload(non_agent_user, conversation) -> None:
    client = APIClient()
    client.force_login(non_agent_user)
    response = client.post(upload_url(conversation), {"file": upload("a.pdf", PDF)}, format="multipart")
    assert response.status_code == 403
    assert response.json()["details"]["reason"] == "not_an_agent"


# ---------------------------------------------------------------------------------- download


def test_image_downloads_inline_with_headers_that_stop_scripts(api: APIClient, conversation, agent) -> None:
    attachment = stored_attachment(conversation=conversation, agent=agent)
    response = api.get(f"/api/chat/attachments/{attachment.pk}", HTTP_ACCEPT="image/avif,image/webp,image/*;q=0.8")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Content-Disposition"].startswith("inline")


def test_other_files_download_as_attachments(api: APIClient, conversation, agent) -> None:
    attachment = stored_attachment(conversation=conversation, agent=agent, name="invoice.pdf", content=PDF)
    response = api.get(f"/api/chat/attachments/{attachment.pk}")
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="invoice.pdf"' in response["Content-Disposition"]


def test_attachment_of_another_teams_conversation_is_not_found(api: APIClient, other_team_conversation) -> None:
    other_agent_upload = services.store_attachment(
        conversation_id=other_team_conversation.pk,
        sender=services.Sender.visitor(other_team_conversation.customer_id),
        upload=upload("p.png", PNG),
    )
    response = api.get(f"/api/chat/attachments/{other_agent_upload.pk}")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "No such attachment."}


def test_visitor_without_a_session_cannot_download_agent_files(conversation, agent) -> None:
    attachment = stored_attachment(conversation=conversation, agent=agent)
    response = APIClient().get(f"/api/chat/attachments/{attachment.pk}")
    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"


# ------------------------------------------------------------------------------------- lists


def test_list_with_assignee_me_has_only_my_conversations(api: APIClient, agent, other_agent, channel) -> None:
    from tests.factories import ConversationFactory

    mine = ConversationFactory(channel=channel, assignee=agent, status="open")
    ConversationFactory(channel=channel, assignee=other_agent, status="open")
    ConversationFactory(channel=channel)
    response = api.get("/api/chat/conversations/", {"assignee": "me", "status": "open"})
    assert [c["id"] for c in response.json()["results"]] == [mine.pk]


def test_list_with_assignee_none_has_the_unassigned_ones_of_my_teams(api: APIClient, channel, other_team_conversation) -> None:
    from tests.factories import ConversationFactory

    waiting = ConversationFactory(channel=channel)
    response = api.get("/api/chat/conversations/", {"assignee": "none"})
    assert [c["id"] for c in response.json()["results"]] == [waiting.pk]


def test_list_refuses_an_unknown_status(api: APIClient) -> None:
    response = api.get("/api/chat/conversations/", {"status": "nonsense"})
    assert response.status_code == 400
    assert response.json()["details"]["field"] == "status"


def test_transcript_pages_follow_seq_and_include_notes(api: APIClient, conversation, agent) -> None:
    for n in range(3):
        visitor_says(conversation, f"hello {n}", f"v{n}")
    services.agent_post_message(
        agent=agent, conversation_id=conversation.pk, body="note", client_id="n1", internal=True, now=timezone.now()
    )
    first = api.get(f"/api/chat/conversations/{conversation.pk}/messages/", {"after_seq": 0, "limit": 2}).json()
    assert [m["seq"] for m in first["results"]] == [1, 2] and first["more"] is True and first["next_after_seq"] == 2
    rest = api.get(f"/api/chat/conversations/{conversation.pk}/messages/", {"after_seq": first["next_after_seq"]}).json()
    assert [(m["seq"], m["internal"]) for m in rest["results"]] == [(3, False), (4, True)]
    assert rest["more"] is False and rest["next_after_seq"] is None


def test_transcript_of_another_teams_conversation_is_not_found(api: APIClient, other_team_conversation) -> None:
    response = api.get(f"/api/chat/conversations/{other_team_conversation.pk}/messages/")
    assert response.status_code == 404


def test_transcript_refuses_a_negative_after_seq(api: APIClient, conversation) -> None:
    response = api.get(f"/api/chat/conversations/{conversation.pk}/messages/", {"after_seq": "-1"})
    assert response.status_code == 400
    assert response.json()["details"]["field"] == "after_seq"


def test_supervisor_sees_conversations_of_every_team(other_team_conversation, channel) -> None:
    from tests.factories import AgentFactory

    supervisor = AgentFactory(role="supervisor")
    client = APIClient()
    client.force_login(supervisor.user)
    response = client.get(f"/api/chat/conversations/{other_team_conversation.pk}/messages/")
    assert response.status_code == 200


# ------------------------------------------------------------------------------------ schema


def test_openapi_schema_describes_the_chat_endpoints_and_is_valid() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = schema["paths"]
    assert "post" in paths["/api/chat/conversations/{conversation_id}/attachments"]
    assert "get" in paths["/api/chat/attachments/{attachment_id}"]
    assert "get" in paths["/api/chat/conversations/"]
    assert "get" in paths["/api/chat/conversations/{conversation_id}/messages/"]


def test_a_visitor_token_does_not_open_the_agent_api(conversation, agent, channel) -> None:
    from chat.visitors import issue_token

    token, _identity = issue_token(channel_id=channel.pk)
    attachment = stored_attachment(conversation=conversation, agent=agent)
    response = APIClient().get(f"/api/chat/attachments/{attachment.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403


def test_list_preview_is_the_last_line_someone_wrote_not_a_system_line(api: APIClient, conversation, agent) -> None:
    visitor_says(conversation, "where is my parcel?", "v1")
    services.take_conversation(conversation_id=conversation.pk, agent=agent, now=timezone.now())
    services.agent_post_message(
        agent=agent, conversation_id=conversation.pk, body="secret note", client_id="n1", internal=True, now=timezone.now()
    )
    [summary] = api.get("/api/chat/conversations/", {"assignee": "me"}).json()["results"]
    assert summary["last_body"] == "where is my parcel?"
