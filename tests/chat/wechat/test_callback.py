"""The WeChat callback: signatures, replays, hostile XML, the safe mode, duplicates, messages into chats."""

from __future__ import annotations

import time

import pytest

from chat.models import Conversation, Message
from chat.wechat import crypto
from chat.wechat.models import InboundMessage
from contactcenter.core.customers.models import CustomerIdentity
from tests.chat.wechat.conftest import make_account
from tests.chat.wechat.helpers import AES_KEY, APPID, TOKEN, encrypted_post, post, signed_query, text_xml

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_url_check_echoes_echostr_when_the_signature_is_right(fake_wechat):
    account = make_account()
    response = post_get(account, signed_query(echostr="hello-123"))
    assert (response.status_code, response.content) == (200, b"hello-123")


def test_the_url_check_with_a_bad_signature_is_refused(fake_wechat):
    account = make_account()
    query = signed_query(echostr="hello-123")
    query["signature"] = "0" * 40
    assert post_get(account, query).status_code == 403


def post_get(account, query):
    import urllib.parse

    from django.test import Client

    return Client().get(f"/wechat/{account.channel.public_key}/?{urllib.parse.urlencode(query)}")


def test_a_signed_text_message_becomes_a_visitor_message_of_a_chat_on_the_channel(fake_wechat):
    account = make_account()
    response = post(account, text_xml("你好，我的订单还没到"), signed_query())
    assert (response.status_code, response.content) == (200, b"success")
    message = Message.objects.select_related("conversation").get()
    assert (message.sender_kind, message.body) == ("visitor", "你好，我的订单还没到")
    conversation = message.conversation
    assert conversation.channel_id == account.channel_id and conversation.status == Conversation.Status.QUEUED
    identity = CustomerIdentity.objects.get(customer=conversation.customer)
    assert (identity.kind, identity.value, identity.verified) == ("external", f"wechat:{APPID}:oUser123456", True)


def test_a_bad_signature_is_refused_and_nothing_is_stored(fake_wechat):
    account = make_account()
    query = signed_query(token="not-the-token")
    assert post(account, text_xml("hi"), query).status_code == 403
    assert not InboundMessage.objects.exists() and not Message.objects.exists()


def test_a_signed_request_older_than_five_minutes_is_refused_as_a_replay(fake_wechat):
    account = make_account()
    response = post(account, text_xml("hi"), signed_query(timestamp=int(time.time()) - 600))
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


def test_wechat_retries_of_one_message_are_processed_once(fake_wechat):
    account = make_account()
    for _ in range(4):
        assert post(account, text_xml("hi", msg_id="777"), signed_query()).content == b"success"
    assert InboundMessage.objects.count() == 1 and Message.objects.count() == 1


def test_a_repeated_event_counts_once_by_sender_and_time(fake_wechat):
    account = make_account()
    body = text_xml("", msg_id="", msg_type="event", Event="CLICK", EventKey="ORDER_STATUS", CreateTime="1700000000")
    for _ in range(3):
        post(account, body, signed_query())
    assert InboundMessage.objects.count() == 1
    assert Message.objects.get().body == "[菜单] ORDER_STATUS"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE, b"<xml><unclosed>", b"<xml>" + b"a" * 70_000 + b"</xml>"])
def test_hostile_or_malformed_xml_is_refused(fake_wechat, body):
    account = make_account()
    assert post(account, body, signed_query()).status_code in (400, 413)
    assert not InboundMessage.objects.exists()


def test_image_location_and_link_messages_are_readable_lines_with_the_media_reference(fake_wechat):
    account = make_account()
    post(account, text_xml("", msg_id="1", msg_type="image", PicUrl="http://mmbiz.example/p.jpg", MediaId="m-9"), signed_query())
    post(account, text_xml("", msg_id="2", msg_type="location", Location_X="31.2", Location_Y="121.4", Label="上海"), signed_query())
    post(account, text_xml("", msg_id="3", msg_type="link", Title="订单", Url="https://shop.example/o/1"), signed_query())
    messages = list(Message.objects.order_by("seq"))
    assert [m.body for m in messages] == [
        "[图片] http://mmbiz.example/p.jpg",
        "[位置] 上海 (31.2, 121.4)",
        "[链接] 订单 — https://shop.example/o/1",
    ]
    assert messages[0].meta["wechat"]["MediaId"] == "m-9"


def test_safe_mode_decrypts_a_message_encrypted_with_the_encoding_aes_key(fake_wechat):
    account = make_account(mode="safe")
    response = encrypted_post(account, text_xml("加密的消息", msg_id="42"))
    assert (response.status_code, response.content) == (200, b"success")
    assert Message.objects.get().body == "加密的消息"


def test_safe_mode_refuses_plain_messages_and_a_bad_msg_signature(fake_wechat):
    account = make_account(mode="safe")
    assert post(account, text_xml("plain"), signed_query()).status_code == 403
    ciphertext = crypto.encrypt(text_xml("x"), encoding_aes_key=AES_KEY, appid=APPID)
    query = signed_query(encrypt_type="aes", msg_signature="0" * 40)
    body = f"<xml><Encrypt>{ciphertext}</Encrypt></xml>".encode()
    assert post(account, body, query).status_code == 403
    assert not Message.objects.exists()


def test_a_message_encrypted_for_another_appid_is_refused(fake_wechat):
    account = make_account(mode="compatible")
    ciphertext = crypto.encrypt(text_xml("x"), encoding_aes_key=AES_KEY, appid="wxSOMEONEELSE")
    query = signed_query(encrypt_type="aes")
    query["msg_signature"] = crypto.signature(TOKEN, query["timestamp"], query["nonce"], ciphertext)
    assert post(account, f"<xml><Encrypt>{ciphertext}</Encrypt></xml>".encode(), query).status_code == 400


def test_the_cipher_round_trips_and_pads_to_32_bytes():
    ciphertext = crypto.encrypt(b"hello", encoding_aes_key=AES_KEY, appid=APPID)
    import base64

    assert len(base64.b64decode(ciphertext)) % 32 == 0
    assert crypto.decrypt(ciphertext, encoding_aes_key=AES_KEY, appid=APPID) == b"hello"
