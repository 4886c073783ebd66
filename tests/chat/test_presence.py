import pytest
from django.utils import timezone

from contactcenter.core.staff.models import AgentProfile
from tests.chat.wsclient import agent_socket, widget

pytestmark = pytest.mark.django_db(transaction=True)


async def test_visitor_is_told_when_the_teams_last_agent_goes_away_and_comes_back(channel, agent):
    console, _ = await agent_socket(agent.user)
    await console.send({"type": "status", "status": "online"})
    await console.recv_type("agent_status")  # its availability event is out before the visitor listens
    visitor, welcome = await widget(channel.public_key)
    assert welcome["agents_online"] is True
    await console.send({"type": "status", "status": "away"})
    assert (await visitor.recv_type("presence"))["agents_online"] is False
    await console.send({"type": "status", "status": "online"})
    assert (await visitor.recv_type("presence"))["agents_online"] is True
    await visitor.close()
    await console.close()


async def test_welcome_says_nobody_is_online_when_agents_are_offline(channel, agent):
    await AgentProfile.objects.filter(pk=agent.pk).aupdate(status="offline", last_seen_at=timezone.now())
    visitor, welcome = await widget(channel.public_key)
    assert welcome["agents_online"] is False
    await visitor.close()
