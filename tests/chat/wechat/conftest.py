from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.chat.wechat.helpers import AES_KEY, APPID, TOKEN, FakeWeChat, start_fake


@pytest.fixture
def fake_wechat(settings: Any) -> Iterator[FakeWeChat]:
    fake, server = start_fake()
    settings.CC_WECHAT_API_BASE = fake.url
    settings.CC_WECHAT_IN_BACKGROUND = False
    yield fake
    server.shutdown()
    server.server_close()


def make_account(*, mode: str = "plain", channel: Any = None) -> Any:
    from chat.wechat.models import WeChatAccount
    from tests.factories import ChannelFactory

    return WeChatAccount.objects.create(
        channel=channel or ChannelFactory(name="公众号", allowed_origins=[]),
        appid=APPID,
        appsecret="s3cret",
        token=TOKEN,
        encoding_aes_key=AES_KEY,
        mode=mode,
    )
