"""A small contact centre for the end-to-end routing tests: a team's chat queue, agents at real console
sockets, visitors at real widget sockets, and reads of what routing stored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import signing
from django.utils import timezone

from chat.models import Conversation
from chat.visitors import SALT as VISITOR_TOKEN_SALT
from contactcenter.asgi import application
from contactcenter.core.customers.models import Customer, CustomerIdentity
from contactcenter.core.inboxes.models import Channel
from contactcenter.core.staff.models import AgentProfile, Team
from routing import services as routing
from routing.models import Offer, Queue, QueueEntry, QueueState
from tests.chat.wsclient import ORIGIN, Client
from tests.factories import ChannelFactory, TeamFactory
from tests.routing.helpers import make_agent, make_queue

Frame = dict[str, Any]
T = TypeVar("T")


def db(fn: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """``fn`` run in a worker thread as the consumers run services: the connection is closed afterwards,
    so none is left open when the test database is dropped (PostgreSQL refuses while one is)."""
    return database_sync_to_async(fn)  # type: ignore[no-any-return]


class Recording(Client):
    """A socket that keeps every frame it read, so that a test can look for a frame whether it was read
    already (while waiting for another one) or is still to come, and say at the end what arrived."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        super().__init__(communicator)
        self.frames: list[Frame] = []
        self.claimed: set[int] = set()  # indexes into frames of those a test was handed

    async def recv_any(self, timeout: float = 3) -> Frame:
        frame = await super().recv_any(timeout)
        self.frames.append(frame)
        return frame

    async def expect(self, kind: str, conversation_id: int | None = None, *, timeout: float = 3) -> Frame:
        """The first frame of ``kind`` (for this conversation) not handed out before, read already or still to come."""
        while True:
            for index, frame in enumerate(self.frames):
                if index not in self.claimed and frame["type"] == kind and conversation_id in (None, frame.get("conversation_id")):
                    self.claimed.add(index)
                    return frame
            try:
                await self.recv_any(timeout)
            except TimeoutError:
                what = kind if conversation_id is None else f"{kind} of conversation {conversation_id}"
                raise AssertionError(f"{self!r} got no {what}; it got {[f['type'] for f in self.frames]}") from None

    async def answers(self, frame: Frame, *kinds: str, timeout: float = 3) -> dict[str, Frame]:
        """Send ``frame`` and read until one frame of each of ``kinds`` came after it (in any order: an
        event sent by the service and the direct answer race each other). An error frame fails the test
        unless "error" is one of ``kinds``."""
        mark = len(self.frames)
        await self.send(frame)
        while True:
            found: dict[str, int] = {}
            for index in range(mark, len(self.frames)):
                received = self.frames[index]
                if received["type"] == "error" and "error" not in kinds:
                    raise AssertionError(f"{frame['type']} was answered with an error: {received}")
                if index not in self.claimed:
                    found.setdefault(received["type"], index)
            if all(kind in found for kind in kinds):
                self.claimed.update(found[kind] for kind in kinds)
                return {kind: self.frames[found[kind]] for kind in kinds}
            await self.recv_any(timeout)

    def of_type(self, kind: str) -> list[Frame]:
        return [f for f in self.frames if f["type"] == kind]

    async def settle(self, timeout: float = 0.25) -> None:
        """Read whatever is still on its way (after this, ``frames`` is complete)."""
        await self.drain(timeout)


class Console(Recording):
    """An agent's console socket."""

    def __init__(self, communicator: WebsocketCommunicator, agent: AgentProfile) -> None:
        super().__init__(communicator)
        self.agent = agent

    def __repr__(self) -> str:
        return f"<console of {self.agent.display_name}>"

    async def offer(self, conversation_id: int) -> Frame:
        return await self.expect("offer", conversation_id)

    async def accept(self, offer: Frame) -> Frame:
        """Accept an offer; the ``assigned`` frame that follows."""
        got = await self.answers({"type": "accept_offer", "offer_id": offer["offer_id"]}, "offer_accepted", "assigned")
        assert got["offer_accepted"]["conversation_id"] == offer["conversation_id"]
        assert got["assigned"]["conversation_id"] == offer["conversation_id"]
        return got["assigned"]

    async def take_offered(self, conversation_id: int) -> Frame:
        """Wait for the offer of this conversation and accept it."""
        return await self.accept(await self.offer(conversation_id))

    async def join(self, conversation_id: int) -> list[Frame]:
        """Open the conversation as the console does; every message the agent sees, internal notes included."""
        got = await self.answers({"type": "join", "conversation_id": conversation_id, "last_seq": 0}, "joined", "replay")
        messages: list[Frame] = got["replay"]["messages"]
        return messages

    def offered(self) -> list[int]:
        """Conversation ids of every offer this console received so far, in order."""
        return [f["conversation_id"] for f in self.of_type("offer")]


class Visitor(Recording):
    """A visitor's widget socket (after hello)."""

    token = ""
    conversation_id = 0

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        super().__init__(communicator)
        self.told: set[int] = set()  # ids of system messages a test was handed

    async def say(self, body: str) -> int:
        """Send a message (the first one opens the conversation); the conversation id."""
        got = await self.answers({"type": "message", "client_id": f"c{len(self.frames)}", "body": body}, "ack")
        self.conversation_id = got["ack"]["conversation_id"]
        return self.conversation_id

    async def system_message(self, event: str, timeout: float = 3) -> Frame:
        """The first system line of this kind in the transcript not asked for before (e.g. agent_joined,
        transferred), live or in a replay (the widget fills a gap in seqs, such as an internal note's, from
        the database)."""
        while True:
            for message in self.seen:
                if message["sender"]["kind"] == "system" and message["meta"].get("event") == event and message["id"] not in self.told:
                    self.told.add(message["id"])
                    return message
            try:
                await self.recv_any(timeout)
            except TimeoutError:
                raise AssertionError(f"the visitor was not told {event!r}; system lines: {self.system_events()}") from None

    async def joined_by(self) -> str:
        """Whom the visitor was told joined the conversation (the next such line)."""
        name: str = (await self.system_message("agent_joined"))["meta"]["agent_name"]
        return name

    def system_events(self) -> list[str]:
        """The events of every system line the visitor has seen, in order."""
        return [m["meta"].get("event") for m in self.seen if m["sender"]["kind"] == "system"]

    def positions(self) -> list[int]:
        return [f["position"] for f in self.of_type("queue_position")]


# -- building the world ---------------------------------------------------------------------------


@dataclass
class World:
    channel: Channel
    team: Team
    queue: Queue


def _world(queue_fields: dict[str, Any]) -> World:
    channel = ChannelFactory()
    return World(channel, channel.team, make_queue(team=channel.team, **queue_fields))


async def world(**queue_fields: Any) -> World:
    """A channel whose team's chat queue has these settings (its chats join it when no source rule matches)."""
    return await db(_world)(queue_fields)


async def other_queue(**queue_fields: Any) -> Queue:
    """A chat queue of a new team (``queue.team`` is loaded)."""
    return await db(lambda: make_queue(team=TeamFactory(), **queue_fields))()


async def agent(team: Team | None, name: str, **fields: Any) -> AgentProfile:
    """An online agent of ``team`` (``skills={slug: level}``, ``chats`` = capacity, any AgentProfile field)."""

    def build() -> AgentProfile:
        profile = make_agent(team=team or TeamFactory(), display_name=name, **fields)
        if team is None:
            profile.teams.clear()
        return profile

    return await db(build)()


async def console(profile: AgentProfile) -> Console:
    """The agent's console, connected and past ``ready`` (connecting also offers what waits)."""
    communicator = WebsocketCommunicator(application, "/ws/agent/")
    communicator.scope["user"] = await db(lambda: profile.user)()
    connected, _ = await communicator.connect()
    assert connected
    client = Console(communicator, profile)
    await client.recv_type("ready")
    return client


async def consoles(team: Team, *names: str, **fields: Any) -> list[Console]:
    """Agents of ``team`` created in this order (so with ascending ids), each at a console."""
    return [await console(await agent(team, name, **fields)) for name in names]


async def visitor(channel: Channel, *, language: str = "en", page_url: str = "", token: str = "") -> Visitor:
    """A widget on the channel's site that said hello (``token``: a visitor who was here before)."""
    communicator = WebsocketCommunicator(application, f"/ws/widget/?channel={channel.public_key}", headers=[(b"origin", ORIGIN.encode())])
    connected, _ = await communicator.connect()
    assert connected
    client = Visitor(communicator)
    got = await client.answers(
        {"type": "hello", "visitor_token": token, "language": language, "page_url": page_url, "last_seq": 0}, "welcome"
    )
    client.token = got["welcome"]["visitor_token"]
    return client


async def tag_visitor(client: Visitor, *tags: str) -> None:
    """Give the visitor's customer record these tags (as the CRM would, e.g. "vip")."""
    visitor_id = signing.loads(client.token, salt=VISITOR_TOKEN_SALT)["v"]

    def tag() -> None:
        identity = CustomerIdentity.objects.get(kind=CustomerIdentity.Kind.VISITOR, value=visitor_id)
        Customer.objects.filter(pk=identity.customer_id).update(tags=list(tags))

    await db(tag)()


# -- what routing stored --------------------------------------------------------------------------


async def entries(conversation_id: int) -> list[QueueEntry]:
    """Every queue entry the conversation had, oldest first."""
    return await db(lambda: list(QueueEntry.objects.filter(kind="chat", item_id=conversation_id).order_by("id")))()


async def entry(conversation_id: int) -> QueueEntry:
    """The conversation's latest queue entry."""
    return (await entries(conversation_id))[-1]


async def conversation(conversation_id: int) -> Conversation:
    return await db(lambda: Conversation.objects.select_related("assignee").get(pk=conversation_id))()


async def assignee_name(conversation_id: int) -> str | None:
    found = await conversation(conversation_id)
    return found.assignee.display_name if found.assignee else None


async def offers(conversation_id: int) -> dict[str, str]:
    """Agent name -> offer status, for the conversation's latest entry."""
    latest = await entry(conversation_id)
    rows = await db(lambda: list(Offer.objects.filter(entry=latest).select_related("agent").order_by("id")))()
    return {offer.agent.display_name: offer.status for offer in rows}


async def pointer(queue: Queue) -> int | None:
    state = await db(lambda: QueueState.objects.filter(queue=queue).first())()
    return state.last_agent_id if state else None


async def sweep(at: datetime) -> routing.DispatchResult:
    """The periodic pass (lapse offers, overflow, end waits, dispatch) as if it ran at ``at``."""
    return await db(routing.sweep)(now=at)


def later(start: datetime, seconds: float) -> datetime:
    return start + timedelta(seconds=seconds)


def now() -> datetime:
    return timezone.now()
