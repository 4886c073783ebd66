"""After WeChat has its "success": the work in a thread, the sweep for rows a node left, follow events."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Message
from chat.wechat import inbound
from chat.wechat.models import InboundMessage
from tests.chat.wechat.conftest import make_account
from tests.chat.wechat.helpers import post, signed_query, text_xml

pytestmark = pytest.mark.django_db(transaction=True)


def test_in_production_the_message_is_processed_in_a_thread_after_the_answer(fake_wechat, settings):
    settings.CC_WECHAT_IN_BACKGROUND = True
    account = make_account()
    assert post(account, text_xml("后台处理", msg_id="9"), signed_query()).content == b"success"
    deadline = time.monotonic() + 10
    while not Message.objects.filter(body="后台处理").exists():
        assert time.monotonic() < deadline, "the thread did not process the message"
        time.sleep(0.05)
    assert InboundMessage.objects.get().status == InboundMessage.Status.DONE


def test_the_sweep_processes_a_row_its_node_did_not_finish(fake_wechat):
    account = make_account()
    now = timezone.now()
    fields = {"FromUserName": "oLeft", "MsgType": "text", "Content": "left behind", "MsgId": "55", "CreateTime": "1"}
    stored = inbound.store(account, fields, now=now)  # stored, then the node stopped
    assert stored is not None
    assert inbound.process_pending(now + timedelta(seconds=5)) == 0  # still the node's own
    assert inbound.process_pending(now + timedelta(seconds=60)) == 1
    assert Message.objects.get().body == "left behind"
    assert inbound.process_pending(now + timedelta(seconds=120)) == 0


def test_following_the_account_sends_the_channels_greeting(fake_wechat):
    account = make_account()
    account.channel.greeting_zh_hans = "欢迎关注！有问题直接留言。"
    account.channel.save()
    post(account, text_xml("", msg_id="", msg_type="event", Event="subscribe", openid="oNew"), signed_query())
    from chat.wechat import outbound

    outbound.send_due(timezone.now())
    assert fake_wechat.sends()[0][1] == {"touser": "oNew", "msgtype": "text", "text": {"content": "欢迎关注！有问题直接留言。"}}
    assert not Message.objects.exists()  # no conversation for a follow
