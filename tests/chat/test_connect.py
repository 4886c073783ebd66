"""Who may open a socket: the widget's channel and page origin, the agent's session."""

import pytest
from asgiref.sync import sync_to_async

from tests.chat.wsclient import agent_raw, widget, widget_raw
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_page_of_an_origin_the_channel_does_not_allow_gets_forbidden_then_close_4403(channel):
    visitor = await widget_raw(channel.public_key, origin="https://evil.example")
    error = await visitor.recv()
    assert error["type"] == "error" and error["code"] == "forbidden"
    assert error["details"]["reason"] == "origin_not_allowed"
    assert await visitor.closed_with() == 4403


async def test_a_socket_without_an_origin_is_refused_unless_the_channel_allows_any(channel):
    visitor = await widget_raw(channel.public_key, origin=None)
    assert (await visitor.recv())["details"]["reason"] == "origin_not_allowed"
    assert await visitor.closed_with() == 4403


async def test_a_channel_allowing_any_origin_accepts_any_page(db):
    open_channel = await sync_to_async(ChannelFactory)(allowed_origins=["*"])
    visitor, welcome = await widget(open_channel.public_key, origin="https://anywhere.example")
    assert welcome["type"] == "welcome"
    await visitor.close()


async def test_the_origin_is_compared_without_a_default_port_or_trailing_slash(channel):
    visitor, welcome = await widget(channel.public_key, origin="https://shop.example:443")
    assert welcome["type"] == "welcome"
    await visitor.close()


async def test_an_unknown_channel_key_gets_not_found_then_close_4404(db):
    visitor = await widget_raw("no-such-channel")
    error = await visitor.recv()
    assert error["type"] == "error" and error["code"] == "not_found"
    assert await visitor.closed_with() == 4404


async def test_an_inactive_channel_is_as_unknown_as_a_missing_one(db):
    inactive = await sync_to_async(ChannelFactory)(is_active=False)
    visitor = await widget_raw(inactive.public_key)
    assert (await visitor.recv())["code"] == "not_found"
    assert await visitor.closed_with() == 4404


async def test_frames_after_a_refused_connect_are_ignored(db):
    visitor = await widget_raw("no-such-channel")
    await visitor.send({"type": "hello"})
    assert (await visitor.recv())["code"] == "not_found"
    assert await visitor.closed_with() == 4404


async def test_an_agent_socket_without_a_signed_in_user_gets_unauthenticated_then_close_4401(db):
    console = await agent_raw(None)
    error = await console.recv()
    assert error["type"] == "error" and error["code"] == "unauthenticated"
    assert await console.closed_with() == 4401


async def test_a_signed_in_user_who_is_not_an_agent_gets_close_4401(db):
    from tests.factories import UserFactory

    user = await sync_to_async(UserFactory)()
    console = await agent_raw(user)
    assert (await console.recv())["code"] == "unauthenticated"
    assert await console.closed_with() == 4401


async def test_a_deactivated_agent_gets_close_4401(agent):
    agent.user.is_active = False
    await sync_to_async(agent.user.save)()
    console = await agent_raw(agent.user)
    assert (await console.recv())["code"] == "unauthenticated"
    assert await console.closed_with() == 4401
