"""One visitor has one open conversation, whichever tab or request starts it."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from chat import services
from chat.visitors import read_token
from contactcenter.core.customers.services import customer_for_visitor
from tests.chat.wsclient import widget

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


async def test_a_second_tab_joins_the_conversation_the_first_tab_started(channel: Any) -> None:
    tab_a, welcome = await widget(channel.public_key)
    tab_b, _ = await widget(channel.public_key, token=welcome["visitor_token"])
    await tab_b.send({"type": "message", "client_id": "from-b", "body": "first, from tab B"})
    started = await tab_b.recv_type("ack")
    await tab_a.send({"type": "message", "client_id": "from-a", "body": "then from tab A"})
    joined = await tab_a.recv_type("ack")
    assert (joined["conversation_id"], joined["seq"]) == (started["conversation_id"], 2)
    await tab_a.close()
    await tab_b.close()


async def test_a_tab_that_joins_late_gets_the_earlier_messages(channel: Any) -> None:
    tab_a, welcome = await widget(channel.public_key)
    tab_b, _ = await widget(channel.public_key, token=welcome["visitor_token"])
    await tab_b.send({"type": "message", "client_id": "from-b", "body": "first, from tab B"})
    await tab_b.recv_type("ack")
    await tab_a.send({"type": "message", "client_id": "from-a", "body": "then from tab A"})
    replay = await tab_a.recv_type("replay")
    assert [m["client_id"] for m in replay["messages"]][:2] == ["from-b", "from-a"]
    await tab_a.close()
    await tab_b.close()


async def test_a_file_uploaded_over_http_before_the_first_message_can_be_sent(channel: Any) -> None:
    tab, welcome = await widget(channel.public_key)
    identity = read_token(welcome["visitor_token"], channel_id=channel.pk)
    assert identity is not None

    @sync_to_async
    def upload_like_the_api() -> int:
        # What POST /widget/api/attachments does for a visitor without a conversation.
        customer = customer_for_visitor(visitor_id=identity.visitor_id)
        conversation = services.start_conversation(channel=channel, customer=customer, language="en")
        upload = SimpleUploadedFile("order.pdf", PDF)
        return services.store_attachment(conversation_id=conversation.pk, sender=services.Sender.visitor(customer.pk), upload=upload).pk

    attachment_id = await upload_like_the_api()
    await tab.send({"type": "message", "client_id": "with-file", "body": "", "attachments": [attachment_id]})
    ack = await tab.recv_type("ack")
    message = await tab.recv_type("message")
    assert message["message"]["attachments"][0]["id"] == attachment_id
    assert ack["seq"] == message["message"]["seq"]
    await tab.close()
