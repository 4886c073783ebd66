"""Bad frames get an error with a clear code, and the socket keeps working afterwards."""

import json
from types import SimpleNamespace

import pytest

from tests.chat.wsclient import agent_socket, widget, widget_raw

pytestmark = pytest.mark.django_db(transaction=True)


async def still_works(visitor):
    """A good frame after the error is answered normally."""
    await visitor.send({"type": "ping"})
    pong = await visitor.recv()
    assert pong["type"] == "pong"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("this is not json", "bad_frame"),
        ("[1, 2, 3]", "bad_frame"),
        ('"hello"', "bad_frame"),
        ("{}", "bad_frame"),
        ('{"type": 7}', "bad_frame"),
        ('{"type": null}', "bad_frame"),
        ('{"type": "launch_rockets"}', "unknown_type"),
        ("", "bad_frame"),
        ("[" * 100_00 + "]" * 100_00, "too_large"),
    ],
    ids=["not-json", "array", "string", "no-type", "int-type", "null-type", "unknown-type", "empty", "huge-nesting"],
)
async def test_a_malformed_frame_gets_an_error_and_the_socket_stays_usable(channel, text, code):
    visitor, _ = await widget(channel.public_key)
    await visitor.send(text)
    error = await visitor.recv()
    assert error["type"] == "error" and error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    await still_works(visitor)
    await visitor.close()


async def test_deeply_nested_json_within_the_size_limit_is_a_bad_frame_not_a_crash(channel):
    visitor, _ = await widget(channel.public_key)
    await visitor.send('{"type": "ping", "x": ' + "[" * 5000 + "]" * 5000 + "}")
    frame = await visitor.recv()
    assert frame["type"] == "error" and frame["code"] == "bad_frame"
    await still_works(visitor)
    await visitor.close()


async def test_unknown_type_lists_the_allowed_types(channel):
    visitor, _ = await widget(channel.public_key)
    await visitor.send({"type": "subscribe_all"})
    error = await visitor.recv_error()
    assert error["code"] == "unknown_type"
    assert "message" in error["details"]["allowed"] and "hello" in error["details"]["allowed"]
    await visitor.close()


async def test_a_binary_frame_is_refused(channel):
    visitor, _ = await widget(channel.public_key)
    await visitor.send_bytes(b'{"type": "ping"}')
    error = await visitor.recv_error()
    assert error["code"] == "bad_frame"
    await still_works(visitor)
    await visitor.close()


async def test_a_frame_over_the_byte_limit_is_refused_as_too_large(channel, settings):
    settings.CC_MAX_FRAME_BYTES = 1000
    visitor, _ = await widget(channel.public_key)
    await visitor.send({"type": "message", "client_id": "big", "body": "x" * 1000})
    error = await visitor.recv_error()
    assert error["code"] == "too_large" and error["details"]["max_bytes"] == 1000
    await still_works(visitor)
    await visitor.close()


async def test_the_byte_limit_counts_utf8_bytes_not_characters(channel, settings):
    settings.CC_MAX_FRAME_BYTES = 1000
    visitor, _ = await widget(channel.public_key)
    # 400 Chinese characters are 1200 bytes in UTF-8.
    await visitor.send(json.dumps({"type": "message", "client_id": "zh", "body": "你" * 400}, ensure_ascii=False))
    assert (await visitor.recv_error())["code"] == "too_large"
    await visitor.close()


async def test_a_message_body_over_the_character_limit_is_invalid_and_not_stored(channel, settings):
    settings.CC_MAX_MESSAGE_CHARS = 50
    visitor, _ = await widget(channel.public_key)
    await visitor.send({"type": "message", "client_id": "long", "body": "y" * 51})
    error = await visitor.recv_error()
    assert error["code"] == "invalid" and error["details"]["max_chars"] == 50
    assert error["ref"] == "long"
    await visitor.send({"type": "message", "client_id": "short", "body": "y" * 50})
    assert (await visitor.recv_type("ack"))["seq"] == 1
    await visitor.close()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "message", "client_id": "c1", "body": {"html": "<b>"}},
        {"type": "message", "client_id": "c1", "body": ["a"]},
        {"type": "message", "client_id": "c1", "body": None},
        {"type": "message", "client_id": "c1", "body": "   "},
        {"type": "message", "client_id": 12, "body": "hi"},
        {"type": "message", "client_id": True, "body": "hi"},
        {"type": "message", "client_id": "has spaces", "body": "hi"},
        {"type": "message", "client_id": "x" * 65, "body": "hi"},
        {"type": "message", "body": "no client id"},
        {"type": "message", "client_id": "c1", "body": "hi", "attachments": "1"},
        {"type": "message", "client_id": "c1", "body": "hi", "attachments": [True]},
        {"type": "message", "client_id": "c1", "body": "hi", "attachments": [{"id": 1}]},
        {"type": "message", "client_id": "c1", "body": "hi", "attachments": list(range(11))},
        {"type": "read", "seq": "3"},
        {"type": "read", "seq": True},
        {"type": "read", "seq": -1},
        {"type": "read", "seq": 1.5},
        {"type": "resume", "last_seq": "0"},
        {"type": "resume"},
        {"type": "typing", "is_typing": "yes"},
        {"type": "start", "prechat": ["name"]},
    ],
)
async def test_a_field_of_the_wrong_type_is_invalid_and_the_socket_stays_usable(channel, frame):
    visitor, _ = await widget(channel.public_key)
    await visitor.send({"type": "message", "client_id": "setup", "body": "there is a conversation"})
    await visitor.recv_type("ack")
    await visitor.send(frame)
    error = await visitor.recv_error()
    assert error["code"] in ("invalid", "not_found"), error
    await visitor.send({"type": "message", "client_id": "after", "body": "still here"})
    assert (await visitor.recv_type("ack"))["seq"] == 2
    await visitor.close()


async def test_a_hello_with_a_string_last_seq_is_invalid_and_hello_can_be_retried(channel):
    visitor, _ = await widget(channel.public_key, hello=False)
    await visitor.send({"type": "hello", "last_seq": "5"})
    error = await visitor.recv_error()
    assert error["code"] == "invalid" and error["details"]["field"] == "last_seq"
    await visitor.send({"type": "hello", "last_seq": 0})
    assert (await visitor.recv())["type"] == "welcome"
    await visitor.close()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "message", "client_id": "c1", "body": "hi"},
        {"type": "start"},
        {"type": "typing", "is_typing": True},
        {"type": "read", "seq": 1},
        {"type": "resume", "last_seq": 0},
    ],
)
async def test_frames_before_hello_get_hello_required(channel, frame):
    visitor = await widget_raw(channel.public_key)
    await visitor.send(frame)
    assert (await visitor.recv_error())["code"] == "hello_required"
    await visitor.send({"type": "hello"})
    assert (await visitor.recv())["type"] == "welcome"
    await visitor.close()


async def test_ping_is_answered_before_hello(channel):
    visitor = await widget_raw(channel.public_key)
    await visitor.send({"type": "ping"})
    assert await visitor.recv() == {"type": "pong", "last_seq": None}
    await visitor.close()


async def test_a_second_hello_on_one_socket_is_refused(channel):
    visitor, _welcome = await widget(channel.public_key)
    await visitor.send({"type": "hello", "visitor_token": ""})
    error = await visitor.recv_error()
    assert error["code"] == "invalid" and error["details"]["reason"] == "hello_done"
    await still_works(visitor)
    await visitor.close()


async def test_a_flood_gets_rate_limited_errors_then_close_4429(channel, settings):
    settings.CC_RATE_FRAMES_PER_S = 0.001
    settings.CC_RATE_BURST = 5
    settings.CC_RATE_STRIKES_BEFORE_CLOSE = 3
    visitor, _ = await widget(channel.public_key)  # hello used one token
    for _ in range(4):
        await visitor.send({"type": "ping"})
        assert (await visitor.recv())["type"] == "pong"
    for _ in range(2):
        await visitor.send({"type": "ping"})
        assert (await visitor.recv_error())["code"] == "rate_limited"
    await visitor.send({"type": "ping"})
    last = await visitor.recv_error()
    assert last["code"] == "rate_limited"
    assert await visitor.closed_with() == 4429


async def test_after_a_rate_limited_error_the_socket_works_again_once_tokens_refill(channel, settings, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("chat.protocol.time", SimpleNamespace(monotonic=lambda: clock[0]))
    settings.CC_RATE_FRAMES_PER_S = 1.0
    settings.CC_RATE_BURST = 2
    visitor, _ = await widget(channel.public_key)  # hello takes one token
    await visitor.send({"type": "ping"})
    assert (await visitor.recv())["type"] == "pong"
    await visitor.send({"type": "ping"})
    assert (await visitor.recv_error())["code"] == "rate_limited"
    clock[0] += 1.0
    await still_works(visitor)
    await visitor.close()


async def test_agent_socket_answers_bad_frames_with_errors_too(agent):
    console, _ = await agent_socket(agent.user)
    await console.send("nope")
    assert (await console.recv_error())["code"] == "bad_frame"
    await console.send({"type": "join", "conversation_id": "12"})
    assert (await console.recv_error())["code"] == "invalid"
    await console.send({"type": "join", "conversation_id": True})
    assert (await console.recv_error())["code"] == "invalid"
    await console.send({"type": "join", "conversation_id": 0})
    assert (await console.recv_error())["code"] == "invalid"
    await console.send({"type": "hello"})
    assert (await console.recv_error())["code"] == "unknown_type"
    await console.send({"type": "ping"})
    assert (await console.recv())["type"] == "pong"
    await console.close()
