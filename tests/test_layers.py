"""contactcenter.layers.InMemoryChannelLayer: Channels' in-memory layer with a periodic expiry sweep."""

from __future__ import annotations

import pytest

from contactcenter.layers import InMemoryChannelLayer


async def test_group_send_reaches_every_member_once() -> None:
    layer = InMemoryChannelLayer()
    a, b = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("conversation.1", a)
    await layer.group_add("conversation.1", b)
    await layer.group_send("conversation.1", {"type": "chat.message_posted", "seq": 1})
    assert await layer.receive(a) == {"type": "chat.message_posted", "seq": 1}
    assert await layer.receive(b) == {"type": "chat.message_posted", "seq": 1}
    assert layer.channels == {}


async def test_each_member_gets_its_own_copy_of_the_event() -> None:
    layer = InMemoryChannelLayer()
    a, b = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("g", a)
    await layer.group_add("g", b)
    await layer.group_send("g", {"type": "x", "message": {"seq": 1}})
    (await layer.receive(a))["message"]["seq"] = 99
    assert (await layer.receive(b))["message"]["seq"] == 1


async def test_expired_messages_still_drop_their_channel_from_groups() -> None:
    layer = InMemoryChannelLayer(expiry=-1)  # everything sent is already expired
    layer.sweep_interval_s = 0.0
    dead, alive = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("g", dead)
    await layer.send(dead, {"type": "x"})
    await layer.group_add("g", alive)
    await layer.group_send("g", {"type": "y"})  # sweeps first
    assert list(layer.groups["g"]) == [alive]


async def test_the_sweep_runs_at_most_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    sweeps = []
    monkeypatch.setattr("channels.layers.InMemoryChannelLayer._clean_expired", lambda self: sweeps.append(1))
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    for _ in range(50):
        await layer.group_send("g", {"type": "x"})
        await layer.receive(channel)
    assert len(sweeps) == 1
