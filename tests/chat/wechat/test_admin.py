"""The Official Account admin never shows the AppSecret or the EncodingAESKey, and keeps them when left empty."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from chat.wechat.models import WeChatAccount
from tests.chat.wechat.conftest import make_account
from tests.chat.wechat.helpers import AES_KEY

pytestmark = pytest.mark.django_db


def _admin_client() -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_the_change_page_shows_neither_secret_and_an_empty_field_keeps_the_stored_one():
    account = make_account(mode="safe")
    client = _admin_client()
    page = client.get(f"/admin/chat_wechat/wechataccount/{account.pk}/change/")
    assert page.status_code == 200
    assert b"s3cret" not in page.content and AES_KEY.encode() not in page.content
    form = {
        "channel": account.channel_id,
        "appid": account.appid,
        "appsecret": "",
        "token": "new-token",
        "encoding_aes_key": "",
        "mode": "safe",
        "language": "zh-hans",
    }
    response = client.post(f"/admin/chat_wechat/wechataccount/{account.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    stored = WeChatAccount.objects.get(pk=account.pk)
    assert (stored.token, stored.appsecret, stored.encoding_aes_key) == ("new-token", "s3cret", AES_KEY)


def test_a_malformed_encoding_aes_key_is_refused():
    account = make_account(mode="safe")
    form = {
        "channel": account.channel_id,
        "appid": account.appid,
        "token": "t",
        "encoding_aes_key": "short",
        "mode": "safe",
        "language": "zh-hans",
    }
    response = _admin_client().post(f"/admin/chat_wechat/wechataccount/{account.pk}/change/", form)
    assert response.status_code == 200 and WeChatAccount.objects.get(pk=account.pk).encoding_aes_key == AES_KEY
