"""post_message answers a retried client_id from the unique constraint: nothing is written or sent twice."""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chat import services
from chat.models import Conversation, Message
from contactcenter.core.events import collecting
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def post(conversation, client_id, **kwargs):
    return services.post_message(
        conversation_id=conversation.pk,
        sender=services.Sender.visitor(conversation.customer_id),
        body=kwargs.pop("body", "hello"),
        client_id=client_id,
        now=NOW,
        **kwargs,
    )


def test_a_retry_changes_no_counter_and_publishes_nothing():
    conversation = ConversationFactory()
    post(conversation, "c1")
    before = Conversation.objects.values("last_seq", "unread_for_agent", "visitor_last_read_seq").get(pk=conversation.pk)
    with collecting() as events:
        result = post(conversation, "c1", body="hello again")
    assert (result.created, result.message.body, events) == (False, "hello", [])
    assert Conversation.objects.values("last_seq", "unread_for_agent", "visitor_last_read_seq").get(pk=conversation.pk) == before


def test_the_conversation_takes_new_messages_after_a_retry():
    conversation = ConversationFactory()
    post(conversation, "c1")
    post(conversation, "c1")
    assert post(conversation, "c2").message.seq == 2
    assert list(Message.objects.filter(conversation=conversation).values_list("client_id", "seq")) == [("c1", 1), ("c2", 2)]


def test_a_retried_message_with_attachments_is_acked_as_the_stored_one():
    conversation = ConversationFactory()
    sender = services.Sender.visitor(conversation.customer_id)
    attachment = services.store_attachment(conversation_id=conversation.pk, sender=sender, upload=SimpleUploadedFile("p.png", PNG))
    first = post(conversation, "c1", attachment_ids=[attachment.pk])
    again = post(conversation, "c1", attachment_ids=[attachment.pk])
    assert (again.created, again.message.pk, again.payload["attachments"]) == (False, first.message.pk, first.payload["attachments"])
