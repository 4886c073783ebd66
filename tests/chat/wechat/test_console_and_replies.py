"""A WeChat message reaches an agent's console; the agent's reply reaches the customer-service API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chat import services
from chat.models import Conversation, Message
from chat.wechat import outbound
from chat.wechat.models import OutboundMessage, WeChatAccount
from tests.chat.routing_world import consoles, db, world
from tests.chat.wechat.conftest import make_account
from tests.chat.wechat.helpers import post, signed_query, text_xml
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_signed_wechat_text_reaches_an_agents_console_and_a_bad_signature_does_not(fake_wechat):
    w = await world(strategy="round_robin")
    (ann,) = await consoles(w.team, "Ann")
    account = await db(make_account)(channel=w.channel)
    bad = signed_query(token="forged")
    assert (await db(post)(account, text_xml("forged", msg_id="1"), bad)).status_code == 403
    response = await db(post)(account, text_xml("你好，有人吗？", msg_id="2"), signed_query())
    assert response.content == b"success"
    conversation_id = await db(lambda: Conversation.objects.get(channel=w.channel).pk)()
    await ann.take_offered(conversation_id)
    messages = await ann.join(conversation_id)
    assert [m["body"] for m in messages if m["sender"]["kind"] == "visitor"] == ["你好，有人吗？"]
    await ann.settle()
    assert ann.offered() == [conversation_id]  # the forged one never became a chat
    await ann.close()


def _conversation_with_agent(account: WeChatAccount):
    post(account, text_xml("在吗", msg_id="10", openid="oAlice"), signed_query())
    conversation = Conversation.objects.get()
    agent = AgentFactory(teams=[account.channel.team], role="supervisor")
    return conversation, agent


def test_an_agents_reply_arrives_at_the_customer_service_api_with_the_openid_and_text(fake_wechat):
    account = make_account()
    conversation, agent = _conversation_with_agent(account)
    services.agent_post_message(agent=agent, conversation_id=conversation.pk, body="您好，请问订单号？", client_id="a1", now=timezone.now())
    services.agent_post_message(
        agent=agent, conversation_id=conversation.pk, body="internal", client_id="a2", internal=True, now=timezone.now()
    )
    assert outbound.forward_and_send(timezone.now()) == 1
    assert fake_wechat.sends() == [("token-1", {"touser": "oAlice", "msgtype": "text", "text": {"content": "您好，请问订单号？"}})]
    # The next tick sends nothing again, and the token is reused.
    assert outbound.forward_and_send(timezone.now()) == 0
    services.agent_post_message(agent=agent, conversation_id=conversation.pk, body="second", client_id="a3", now=timezone.now())
    outbound.forward_and_send(timezone.now())
    assert [t for t, _ in fake_wechat.sends()] == ["token-1", "token-1"] and fake_wechat.tokens_issued == 1


def test_an_invalid_access_token_is_refreshed_and_the_send_retried(fake_wechat):
    account = make_account()
    conversation, agent = _conversation_with_agent(account)
    services.agent_post_message(agent=agent, conversation_id=conversation.pk, body="hi", client_id="a1", now=timezone.now())
    fake_wechat.script = [40001]
    assert outbound.forward_and_send(timezone.now()) == 1
    assert [t for t, _ in fake_wechat.sends()] == ["token-1", "token-2"]
    assert OutboundMessage.objects.get().status == OutboundMessage.Status.SENT


def test_an_unreachable_api_is_retried_later_and_nothing_is_lost(fake_wechat, settings):
    account = make_account()
    conversation, agent = _conversation_with_agent(account)
    services.agent_post_message(agent=agent, conversation_id=conversation.pk, body="hi", client_id="a1", now=timezone.now())
    real = settings.CC_WECHAT_API_BASE
    settings.CC_WECHAT_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    now = timezone.now()
    assert outbound.forward_and_send(now) == 0
    row = OutboundMessage.objects.get()
    assert row.status == OutboundMessage.Status.PENDING and row.next_attempt_at > now and row.attempts == 1
    settings.CC_WECHAT_API_BASE = real
    assert outbound.send_due(now + timedelta(minutes=1)) == 1
    assert fake_wechat.sends()[0][1]["text"]["content"] == "hi"


def test_a_reply_after_the_48_hour_window_is_refused_and_the_agent_is_told(fake_wechat):
    account = make_account()
    conversation, agent = _conversation_with_agent(account)
    services.agent_post_message(agent=agent, conversation_id=conversation.pk, body="late", client_id="a1", now=timezone.now())
    fake_wechat.script = [45015]
    outbound.forward_and_send(timezone.now())
    assert OutboundMessage.objects.get().status == OutboundMessage.Status.REFUSED
    told = Message.objects.get(conversation=conversation, meta__event="wechat_window_closed")
    assert told.sender_kind == "system" and "48" in told.body
    # The line is for the console: it is not sent to WeChat.
    outbound.forward_and_send(timezone.now())
    assert len(fake_wechat.sends()) == 1


def test_the_bot_answers_a_wechat_user_through_the_customer_service_api(fake_wechat):
    from tests.factories import ArticleFactory

    account = make_account()
    ArticleFactory(question="How do I reset my password?", answer="<p>Use the reset link.</p>")
    post(account, text_xml("How do I reset my password?", msg_id="5", openid="oBob"), signed_query())
    sends = fake_wechat.sends()
    assert sends and sends[0][1]["touser"] == "oBob"
    assert "reset link" in sends[0][1]["text"]["content"]


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a3e1d8a10000000049454e44ae426082"
)


def test_an_agents_image_is_uploaded_as_media_and_sent_as_an_image_message(fake_wechat):
    from django.core.files.uploadedfile import SimpleUploadedFile

    account = make_account()
    conversation, agent = _conversation_with_agent(account)
    upload = SimpleUploadedFile("shot.png", PNG, content_type="image/png")
    attachment = services.store_attachment(conversation_id=conversation.pk, sender=services.Sender.for_agent(agent), upload=upload)
    services.agent_post_message(
        agent=agent, conversation_id=conversation.pk, body="看这张图", client_id="img", attachment_ids=[attachment.pk], now=timezone.now()
    )
    assert outbound.forward_and_send(timezone.now()) == 2
    uploads = [body for path, query, body in fake_wechat.calls if path == "/cgi-bin/media/upload"]
    assert len(uploads) == 1 and PNG in uploads[0]
    assert [body for _, body in fake_wechat.sends()] == [
        {"touser": "oAlice", "msgtype": "text", "text": {"content": "看这张图"}},
        {"touser": "oAlice", "msgtype": "image", "image": {"media_id": "media-1"}},
    ]
