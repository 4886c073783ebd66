"""Realtime sessions for visitors and agents, independent of transport (WebSocket or socket.io).

A transport parses nothing: it hands text frames and channel-layer events to a session and gives
the session a way to send frames and join groups. Sessions parse, authorize, call services (one
worker-thread hop per write) and forward events; events are never looked up per delivery.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from channels.db import database_sync_to_async
from django.utils import timezone

from chat import events, selectors, services
from chat.access import access_conversation_for_agent
from chat.models import Conversation
from chat.protocol import (
    CLOSE_FLOOD,
    CLOSE_FORBIDDEN_ORIGIN,
    CLOSE_UNAUTHENTICATED,
    CLOSE_UNKNOWN_CHANNEL,
    HelloRequired,
    RateLimited,
    TokenBucket,
    UnknownType,
    error_frame,
    get_bool,
    get_int,
    get_int_list,
    get_str,
    parse_frame,
)
from chat.visitors import issue_token, read_token
from contactcenter.core.customers.models import Customer
from contactcenter.core.customers.selectors import customer_card
from contactcenter.core.customers.services import customer_for_visitor, update_contact_details
from contactcenter.core.errors import Conflict, ContactCenterError, Forbidden, InvalidInput, NotFound, Unauthenticated
from contactcenter.core.events import collecting, send_collected
from contactcenter.core.inboxes.models import Channel
from contactcenter.core.inboxes.selectors import active_channel_by_key
from contactcenter.core.staff.models import AgentProfile, Team
from contactcenter.core.staff.selectors import team_has_agents_online
from contactcenter.core.staff.services import availability_group, set_status, touch_presence

logger = logging.getLogger(__name__)


class Transport(Protocol):
    async def send_frame(self, frame: dict[str, Any]) -> None: ...
    async def join(self, group: str) -> None: ...
    async def leave(self, group: str) -> None: ...
    async def close(self, code: int) -> None: ...


async def run_service(fn: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Run a sync service in the DB thread and send its events from here after commit."""
    with collecting() as collected:
        result = await database_sync_to_async(fn)(**kwargs)
    await send_collected(collected)
    return result


Handler = Callable[[dict[str, Any]], Awaitable[None]]


class Session:
    """Shared frame loop: size and JSON checks, rate limit, dispatch, error frames."""

    handlers: dict[str, str] = {}

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.bucket = TokenBucket()
        self.closed = False

    async def receive(self, text: str | None = None, data: bytes | None = None) -> None:
        if self.closed:
            return
        frame: dict[str, Any] = {}
        try:
            if not self.bucket.allow():
                if self.bucket.flooding:
                    await self.transport.send_frame(error_frame(RateLimited("Flooding; the connection is closed.")))
                    await self.close(CLOSE_FLOOD)
                    return
                raise RateLimited()
            frame = parse_frame(text, data)
            method = self.handlers.get(frame["type"])
            if method is None:
                raise UnknownType(f"Unknown frame type {frame['type'][:40]!r}.", allowed=sorted(self.handlers))
            await getattr(self, method)(frame)
        except ContactCenterError as error:
            await self.transport.send_frame(error_frame(error, ref=frame.get("client_id", frame.get("ref"))))
        except Exception:
            logger.exception("frame handling failed")
            await self.transport.send_frame(
                error_frame(
                    ContactCenterError("Something went wrong on our side; nothing was lost, try again."),
                    ref=frame.get("client_id", frame.get("ref")),
                )
            )

    async def close(self, code: int) -> None:
        self.closed = True
        await self.transport.close(code)

    async def send(self, frame: dict[str, Any]) -> None:
        if not self.closed:
            await self.transport.send_frame(frame)


class ConversationStream:
    """Delivers one conversation's messages in seq order, exactly once, to one client.

    Live events skip what was already sent; a gap (a lost event, or one still in flight from
    another process) is filled from the database, which is the source of truth.
    """

    def __init__(self, conversation_id: int, *, include_internal: bool) -> None:
        self.conversation_id = conversation_id
        self.include_internal = include_internal
        self.sent_seq = 0

    async def replay(self, session: Session, after_seq: int) -> None:
        self.sent_seq = max(self.sent_seq, after_seq)
        while True:
            messages, last_seq = await database_sync_to_async(self._page)(self.sent_seq)
            if messages:
                self.sent_seq = messages[-1]["seq"]
            elif last_seq < self.sent_seq:
                # The client claimed a seq this conversation never reached (e.g. one of an older
                # conversation): trusting it would skip the messages up to it when they come.
                self.sent_seq = last_seq
            await session.send(
                {
                    "type": "replay",
                    "conversation_id": self.conversation_id,
                    "messages": messages,
                    "more": len(messages) >= selectors.REPLAY_PAGE,
                }
            )
            if len(messages) < selectors.REPLAY_PAGE:
                return

    def _page(self, after_seq: int) -> tuple[list[dict[str, Any]], int]:
        """One replay page, and (only when it is empty) the last seq there is, in one thread hop."""
        messages = selectors.messages_after(
            conversation_id=self.conversation_id, after_seq=after_seq, include_internal=self.include_internal
        )
        if messages or after_seq == 0:
            return messages, after_seq
        return messages, selectors.last_message_seq(conversation_id=self.conversation_id, include_internal=self.include_internal)

    async def catch_up(self, session: Session, last_seq: int) -> None:
        """The heartbeat found ``last_seq`` in the database: send what a lost last event did not bring."""
        if last_seq > self.sent_seq:
            await self.replay(session, self.sent_seq)

    async def deliver(self, session: Session, message: dict[str, Any]) -> None:
        seq = message["seq"]
        if message.get("internal") and not self.include_internal:
            return
        if seq <= self.sent_seq:
            return
        if seq == self.sent_seq + 1:
            self.sent_seq = seq
            await session.send({"type": "message", "message": message})
            return
        await self.replay(session, self.sent_seq)


# --------------------------------------------------------------------------------- visitors


class WidgetSession(Session):
    handlers = {
        "hello": "on_hello",
        "start": "on_start",
        "message": "on_message",
        "typing": "on_typing",
        "read": "on_read",
        "resume": "on_resume",
        "ping": "on_ping",
    }

    def __init__(self, transport: Transport, *, channel_key: str, origin: str | None) -> None:
        super().__init__(transport)
        self.channel_key = channel_key
        self.origin = origin
        self.channel: Channel | None = None
        self.customer: Customer | None = None
        self.language = "en"
        self.page_url = ""
        self.prechat: dict[str, str] = {}
        self.stream: ConversationStream | None = None

    async def connect(self) -> bool:
        """Check the channel and the page's origin; False means the transport was closed."""
        try:
            self.channel = await database_sync_to_async(active_channel_by_key)(public_key=self.channel_key[:64])
        except NotFound as error:
            await self.send(error_frame(error))
            await self.close(CLOSE_UNKNOWN_CHANNEL)
            return False
        if not self.channel.allows_origin(self.origin):
            await self.send(error_frame(Forbidden("This website may not use this chat channel.", reason="origin_not_allowed")))
            await self.close(CLOSE_FORBIDDEN_ORIGIN)
            return False
        await self.transport.join(events.channel_group(self.channel.pk))
        await self.transport.join(availability_group(self.channel.team_id))
        return True

    @property
    def conversation_id(self) -> int | None:
        return self.stream.conversation_id if self.stream else None

    def _require_hello(self) -> tuple[Channel, Customer]:
        if self.channel is None or self.customer is None:
            raise HelloRequired()
        return self.channel, self.customer

    async def on_hello(self, frame: dict[str, Any]) -> None:
        assert self.channel is not None
        if self.customer is not None:
            raise InvalidInput("This connection already said hello; open a new one to change visitor.", reason="hello_done")
        token = get_str(frame, "visitor_token", default="", max_len=500)
        self.language = services.normalize_language(get_str(frame, "language", default="en", max_len=20))
        self.page_url = get_str(frame, "page_url", default="", max_len=2000)
        last_seq = get_int(frame, "last_seq", default=0)
        welcome, conversation_id = await database_sync_to_async(self._hello)(token)
        if conversation_id is not None:
            # Join before the backlog is read: whatever commits later arrives live, and the seq
            # check drops what both the backlog and a live event carry.
            await self._follow(conversation_id)
        await self.send(welcome)
        if self.stream is not None:
            await self.stream.replay(self, last_seq)

    def _hello(self, token: str) -> tuple[dict[str, Any], int | None]:
        assert self.channel is not None
        identity = read_token(token, channel_id=self.channel.pk) if token else None
        if identity is None:
            token, identity = issue_token(channel_id=self.channel.pk)
        customer = customer_for_visitor(visitor_id=identity.visitor_id)
        conversation = selectors.latest_visitor_conversation(customer_id=customer.pk, channel_id=self.channel.pk)
        channel = self.channel
        welcome = {
            "type": "welcome",
            "visitor_token": token,
            "channel": {
                "name": channel.name,
                "greeting": channel.greeting(self.language),
                "color": channel.color,
                "prechat_fields": channel.prechat_fields,
            },
            "customer": {"name": customer.name, "email": customer.email, "phone": customer.phone},
            "conversation": _visitor_view(conversation) if conversation else None,
            "agents_online": team_has_agents_online(team_id=channel.team_id, now=timezone.now()),
            "limits": _limits(),
        }
        self.customer = customer
        return welcome, conversation.pk if conversation else None

    async def _follow(self, conversation_id: int) -> None:
        """Make ``conversation_id`` the one this socket streams, joining its group (and leaving the old one)."""
        if self.stream is not None:
            if self.stream.conversation_id == conversation_id:
                return
            await self.transport.leave(events.conversation_group(self.stream.conversation_id))
        await self.transport.join(events.conversation_group(conversation_id))
        self.stream = ConversationStream(conversation_id, include_internal=False)

    async def on_start(self, frame: dict[str, Any]) -> None:
        channel, _ = self._require_hello()
        answers = frame.get("prechat", {})
        if not isinstance(answers, dict):
            raise InvalidInput("'prechat' must be an object of field answers.", field="prechat")
        self.prechat = _validate_prechat(channel, answers)
        view = await run_service(self._start, current_id=self.conversation_id)
        await self._follow(view["id"])
        await self.send({"type": "conversation", "conversation": view})

    def _start(self, *, current_id: int | None) -> dict[str, Any]:
        _, customer = self._require_hello()
        update_contact_details(
            customer=customer, name=self.prechat.get("name", ""), email=self.prechat.get("email", ""), phone=self.prechat.get("phone", "")
        )
        if current_id is not None:
            conversation = Conversation.objects.select_related("assignee").get(pk=current_id)
            if conversation.status != Conversation.Status.CLOSED:
                return _visitor_view(conversation)
        return self._new_conversation()

    def _new_conversation(self) -> dict[str, Any]:
        channel, customer = self._require_hello()
        # Another tab of this visitor, or an upload over HTTP, may have started one since the
        # hello: join it rather than open a second conversation (never a closed one).
        existing = selectors.latest_visitor_conversation(customer_id=customer.pk, channel_id=channel.pk)
        if existing is not None:
            return _visitor_view(existing)
        conversation = services.start_conversation(
            channel=channel, customer=customer, language=self.language, source_url=self.page_url, prechat=self.prechat
        )
        return events.visitor_conversation_view(conversation, last_public_seq=0)

    async def _open_new_conversation(self) -> None:
        # Its own step before the first message, so that the socket is in the conversation's group
        # before anything can be posted there (an agent's reply is never missed).
        view = await run_service(self._new_conversation)
        await self._follow(view["id"])
        await self.send({"type": "conversation", "conversation": view})

    async def on_message(self, frame: dict[str, Any]) -> None:
        _, customer = self._require_hello()
        client_id = services.validate_client_id(frame.get("client_id"))
        body = frame.get("body", "")
        attachment_ids = get_int_list(frame, "attachments")
        if self.stream is None:
            await self._open_new_conversation()
        post = functools.partial(
            run_service,
            services.post_message,
            sender=services.Sender.visitor(customer.pk),
            body=body,
            client_id=client_id,
            attachment_ids=attachment_ids,
        )
        assert self.stream is not None
        try:
            result = await post(conversation_id=self.stream.conversation_id, now=timezone.now())
        except Conflict as error:
            if error.details.get("reason") != "conversation_closed":
                raise
            # Closed between two frames (by an agent or a timer): the message opens a fresh one.
            await self._open_new_conversation()
            result = await post(conversation_id=self.stream.conversation_id, now=timezone.now())
        stream = self.stream
        await self.send(
            {
                "type": "ack",
                "client_id": client_id,
                "conversation_id": result.message.conversation_id,
                "seq": result.message.seq,
                "duplicate": not result.created,
            }
        )
        await stream.deliver(self, result.payload)

    async def on_typing(self, frame: dict[str, Any]) -> None:
        self._require_hello()
        is_typing = get_bool(frame, "is_typing", default=True)
        if self.conversation_id is None:
            return
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is not None:
            await layer.group_send(
                events.conversation_group(self.conversation_id),
                {"type": events.TYPING, "conversation_id": self.conversation_id, "from": "visitor", "is_typing": is_typing},
            )

    async def on_read(self, frame: dict[str, Any]) -> None:
        _, customer = self._require_hello()
        seq = get_int(frame, "seq")
        if self.conversation_id is None:
            raise NotFound("No conversation yet.")
        await run_service(services.mark_read, conversation_id=self.conversation_id, reader=services.Sender.visitor(customer.pk), seq=seq)

    async def on_resume(self, frame: dict[str, Any]) -> None:
        self._require_hello()
        last_seq = get_int(frame, "last_seq")
        if self.stream is None:
            await self.send({"type": "replay", "conversation_id": None, "messages": [], "more": False})
            return
        self.stream.sent_seq = min(self.stream.sent_seq, last_seq)
        await self.stream.replay(self, last_seq)

    async def on_ping(self, frame: dict[str, Any]) -> None:
        last_seq = None
        if self.stream is not None:
            last_seq = await database_sync_to_async(_last_public_seq)(self.stream.conversation_id)
            await self.stream.catch_up(self, last_seq)
        await self.send({"type": "pong", "last_seq": last_seq})

    async def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == events.MESSAGE_POSTED:
            message = event["message"]
            if self.stream is not None and message["conversation_id"] == self.stream.conversation_id:
                await self.stream.deliver(self, message)
        elif kind == events.CONVERSATION_CHANGED and "visitor_view" in event:
            if event["visitor_view"]["id"] == self.conversation_id:
                await self.send({"type": "conversation", "conversation": event["visitor_view"]})
        elif kind == events.TYPING and event.get("from") == "agent" and not event.get("internal"):
            await self.send({"type": "typing", "from": "agent", "name": event.get("name", ""), "is_typing": event["is_typing"]})
        elif kind == events.READ and event.get("by") == "agent":
            await self.send({"type": "read", "by": "agent", "seq": event["seq"]})
        elif kind in (events.PRESENCE, "staff.availability"):
            await self.send({"type": "presence", "agents_online": event["agents_online"]})


def _visitor_view(conversation: Conversation) -> dict[str, Any]:
    return events.visitor_conversation_view(conversation, last_public_seq=_last_public_seq(conversation.pk))


def _last_public_seq(conversation_id: int) -> int:
    return selectors.last_message_seq(conversation_id=conversation_id, include_internal=False)


def _limits() -> dict[str, int]:
    from django.conf import settings

    return {
        "max_frame_bytes": settings.CC_MAX_FRAME_BYTES,
        "max_message_chars": settings.CC_MAX_MESSAGE_CHARS,
        "max_attachment_bytes": settings.CC_ATTACHMENT_MAX_BYTES,
    }


def _validate_prechat(channel: Channel, answers: dict[str, Any]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    fields = {f["name"]: f for f in channel.prechat_fields}
    for name, field in fields.items():
        value = answers.get(name, "")
        if not isinstance(value, str):
            raise InvalidInput(f"'{name}' must be text.", field=name)
        value = value.strip()[:300]
        if field.get("required") and not value:
            raise InvalidInput(f"'{name}' is required.", field=name, reason="required")
        if value and field.get("type") == "email" and ("@" not in value or " " in value):
            raise InvalidInput(f"'{name}' is not an e-mail address.", field=name, reason="email")
        if value:
            cleaned[name] = value
    return cleaned


# ----------------------------------------------------------------------------------- agents


class AgentSession(Session):
    handlers = {
        "join": "on_join",
        "leave": "on_leave",
        "message": "on_message",
        "typing": "on_typing",
        "read": "on_read",
        "take": "on_take",
        "resolve": "on_resolve",
        "status": "on_status",
        "ping": "on_ping",
    }

    def __init__(self, transport: Transport, *, user_id: int | None) -> None:
        super().__init__(transport)
        self.user_id = user_id
        self.agent: AgentProfile | None = None
        self.streams: dict[int, ConversationStream] = {}

    async def connect(self) -> bool:
        from contactcenter.core.staff.selectors import agent_for_user

        self.agent = await database_sync_to_async(agent_for_user)(user_id=self.user_id) if self.user_id else None
        if self.agent is None:
            await self.send(error_frame(Unauthenticated("Sign in as an agent first.")))
            await self.close(CLOSE_UNAUTHENTICATED)
            return False
        # Groups first, inbox second: a change committed in between arrives as an event instead of
        # being missing from both the snapshot and the live updates.
        team_ids = await database_sync_to_async(self._team_ids)()
        await self.transport.join(events.agent_group(self.agent.pk))
        for team_id in team_ids:
            await self.transport.join(events.team_group(team_id))
        if self.agent.is_supervisor:
            await self.transport.join("supervisors")
        await self.send(await database_sync_to_async(self._ready)())
        return True

    def _team_ids(self) -> list[int]:
        agent = self._agent()
        return list(Team.objects.values_list("pk", flat=True)) if agent.is_supervisor else [t.pk for t in agent.teams.all()]

    def _ready(self) -> dict[str, Any]:
        agent = self._agent()
        touch_presence(agent=agent, now=timezone.now())
        return {
            "type": "ready",
            "agent": {
                "id": agent.pk,
                "name": agent.display_name,
                "role": agent.role,
                "status": agent.status,
                "max_concurrent_chats": agent.max_concurrent_chats,
            },
            "inbox": selectors.agent_inbox(agent=agent),
            "limits": _limits(),
        }

    def _agent(self) -> AgentProfile:
        assert self.agent is not None
        return self.agent

    async def on_join(self, frame: dict[str, Any]) -> None:
        conversation_id = get_int(frame, "conversation_id", minimum=1)
        last_seq = get_int(frame, "last_seq", default=0)
        joined = await database_sync_to_async(self._joined)(conversation_id)
        stream = self.streams.get(conversation_id)
        if stream is None:
            stream = self.streams[conversation_id] = ConversationStream(conversation_id, include_internal=True)
            await self.transport.join(events.conversation_group(conversation_id))
            await self.transport.join(events.conversation_group(conversation_id, internal=True))
        await self.send(joined)
        stream.sent_seq = min(stream.sent_seq, last_seq)
        await stream.replay(self, last_seq)

    def _joined(self, conversation_id: int) -> dict[str, Any]:
        agent = self._agent()
        conversation = access_conversation_for_agent(agent=agent, conversation_id=conversation_id)
        return {
            "type": "joined",
            "conversation": events.conversation_summary(conversation),
            "details": {
                "source_url": conversation.source_url,
                "prechat": conversation.prechat,
                # The console marks its replies "Seen" up to here, also after a reload.
                "visitor_last_read_seq": conversation.visitor_last_read_seq,
            },
            "customer": customer_card(customer=conversation.customer),
            "history": [
                c for c in selectors.customer_conversations(agent=agent, customer_id=conversation.customer_id) if c["id"] != conversation.pk
            ],
        }

    async def on_leave(self, frame: dict[str, Any]) -> None:
        conversation_id = get_int(frame, "conversation_id", minimum=1)
        if self.streams.pop(conversation_id, None) is not None:
            await self.transport.leave(events.conversation_group(conversation_id))
            await self.transport.leave(events.conversation_group(conversation_id, internal=True))
        await self.send({"type": "left", "conversation_id": conversation_id})

    async def on_message(self, frame: dict[str, Any]) -> None:
        conversation_id = get_int(frame, "conversation_id", minimum=1)
        client_id = services.validate_client_id(frame.get("client_id"))
        internal = get_bool(frame, "internal")
        attachment_ids = get_int_list(frame, "attachments")
        result = await run_service(
            services.agent_post_message,
            agent=self._agent(),
            conversation_id=conversation_id,
            body=frame.get("body", ""),
            client_id=client_id,
            internal=internal,
            attachment_ids=attachment_ids,
            now=timezone.now(),
        )
        await self.send(
            {
                "type": "ack",
                "client_id": client_id,
                "conversation_id": conversation_id,
                "seq": result.message.seq,
                "duplicate": not result.created,
            }
        )
        stream = self.streams.get(conversation_id)
        if stream is not None:
            await stream.deliver(self, result.payload)

    async def on_typing(self, frame: dict[str, Any]) -> None:
        conversation_id = get_int(frame, "conversation_id", minimum=1)
        is_typing = get_bool(frame, "is_typing", default=True)
        internal = get_bool(frame, "internal")
        if conversation_id not in self.streams:
            raise NotFound("Join the conversation first.")
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        agent = self._agent()
        if layer is not None:
            await layer.group_send(
                events.conversation_group(conversation_id, internal=internal),
                {
                    "type": events.TYPING,
                    "conversation_id": conversation_id,
                    "from": "agent",
                    "agent_id": agent.pk,
                    "name": agent.display_name,
                    "is_typing": is_typing,
                    "internal": internal,
                },
            )

    async def on_read(self, frame: dict[str, Any]) -> None:
        conversation_id = get_int(frame, "conversation_id", minimum=1)
        seq = get_int(frame, "seq")
        await run_service(services.agent_mark_read, agent=self._agent(), conversation_id=conversation_id, seq=seq)

    async def on_take(self, frame: dict[str, Any]) -> None:
        conversation_id = get_int(frame, "conversation_id", minimum=1)
        await run_service(services.take_conversation, conversation_id=conversation_id, agent=self._agent(), now=timezone.now())
        await self.send({"type": "taken", "conversation_id": conversation_id})

    async def on_resolve(self, frame: dict[str, Any]) -> None:
        conversation_id = get_int(frame, "conversation_id", minimum=1)
        await run_service(services.resolve_conversation, conversation_id=conversation_id, agent=self._agent(), now=timezone.now())
        await self.send({"type": "resolved", "conversation_id": conversation_id})

    async def on_status(self, frame: dict[str, Any]) -> None:
        status = get_str(frame, "status", max_len=16)
        agent = await run_service(set_status, agent=self._agent(), status=status, now=timezone.now())
        self.agent = agent

    async def on_ping(self, frame: dict[str, Any]) -> None:
        last_seqs = await database_sync_to_async(self._heartbeat)(list(self.streams))
        for conversation_id, last_seq in last_seqs.items():
            stream = self.streams.get(conversation_id)
            if stream is not None:
                await stream.catch_up(self, last_seq)
        await self.send({"type": "pong"})

    def _heartbeat(self, conversation_ids: list[int]) -> dict[int, int]:
        """Record presence, and read the joined conversations' last seqs (to catch up on lost events)."""
        touch_presence(agent=self._agent(), now=timezone.now())
        if not conversation_ids:
            return {}
        return dict(Conversation.objects.filter(pk__in=conversation_ids).values_list("pk", "last_seq"))

    async def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        agent = self._agent()
        if kind == events.MESSAGE_POSTED:
            message = event["message"]
            stream = self.streams.get(message["conversation_id"])
            if stream is not None:
                await stream.deliver(self, message)
        elif kind == events.CONVERSATION_CHANGED and "conversation" in event:
            await self.send({"type": "conversation", "conversation": event["conversation"]})
        elif kind == events.TYPING:
            if event.get("agent_id") != agent.pk and event.get("conversation_id") in self.streams:
                frame = {k: event[k] for k in ("conversation_id", "from", "is_typing") if k in event}
                frame.update({"type": "typing", "name": event.get("name", ""), "internal": bool(event.get("internal"))})
                await self.send(frame)
        elif kind == events.READ and event.get("conversation_id") in self.streams:
            await self.send({"type": "read", "conversation_id": event["conversation_id"], "by": event["by"], "seq": event["seq"]})
        elif kind == "agent.status_changed":
            await self.send({"type": "agent_status", "agent_id": event["agent_id"], "status": event["status"]})
