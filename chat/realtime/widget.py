"""The visitor side of the realtime protocol (/ws/widget/ and the socket.io fallback)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from chat import bot_bridge, events, rating, routing_hooks, selectors, services
from chat.models import Conversation
from chat.protocol import (
    CLOSE_FORBIDDEN_ORIGIN,
    CLOSE_UNKNOWN_CHANNEL,
    HelloRequired,
    error_frame,
    get_bool,
    get_int,
    get_int_list,
    get_rating,
    get_str,
)
from chat.realtime.base import ConversationStream, Session, Transport, limits, run_service
from chat.visitors import issue_token, read_token
from contactcenter.core.customers.models import Customer
from contactcenter.core.customers.services import customer_for_visitor, update_contact_details
from contactcenter.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from contactcenter.core.inboxes.models import Channel
from contactcenter.core.inboxes.selectors import active_channel_by_key
from contactcenter.core.staff.selectors import team_has_agents_online
from contactcenter.core.staff.services import availability_group


class WidgetSession(Session):
    handlers = {
        "hello": "on_hello",
        "start": "on_start",
        "message": "on_message",
        "typing": "on_typing",
        "read": "on_read",
        "resume": "on_resume",
        "ping": "on_ping",
        "bot_feedback": "on_bot_feedback",
        "request_agent": "on_request_agent",
        "rate": "on_rate",
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
        self.seen_at: datetime | None = None  # last write of the conversation's visitor_last_seen_at

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
            await self._send_position()

    def _hello(self, token: str) -> tuple[dict[str, Any], int | None]:
        assert self.channel is not None
        identity = read_token(token, channel_id=self.channel.pk) if token else None
        if identity is None:
            token, identity = issue_token(channel_id=self.channel.pk)
        customer = customer_for_visitor(visitor_id=identity.visitor_id)
        conversation = selectors.latest_visitor_conversation(customer_id=customer.pk, channel_id=self.channel.pk)
        if conversation is not None:
            self.seen_at = services.touch_visitor(conversation_id=conversation.pk, now=timezone.now(), last_seen=None)
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
            "limits": limits(),
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
        await self._send_position()

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

    def _new_conversation(self, *, first_message: str = "") -> dict[str, Any]:
        channel, customer = self._require_hello()
        # Another tab of this visitor, or an upload over HTTP, may have started one since the
        # hello: join it rather than open a second conversation (never a closed one).
        conversation, created = services.open_visitor_conversation(
            channel=channel,
            customer=customer,
            language=self.language,
            source_url=self.page_url,
            prechat=self.prechat,
            first_message=first_message,
        )
        if not created:
            return _visitor_view(conversation)
        return events.visitor_conversation_view(conversation, last_public_seq=0)

    async def _open_new_conversation(self, *, first_message: str) -> None:
        # Its own step before the first message, so that the socket is in the conversation's group
        # before anything can be posted there (an agent's reply is never missed). Routing gets the
        # message's text now: the queue is chosen when the conversation opens (keyword rules).
        view = await run_service(self._new_conversation, first_message=first_message)
        await self._follow(view["id"])
        await self.send({"type": "conversation", "conversation": view})
        await self._send_position()

    async def _send_position(self) -> None:
        """Where the visitor stands in line, read from the database (live changes come as events)."""
        if self.stream is not None:
            frame = await database_sync_to_async(self._position)(self.stream.conversation_id)
            if frame is not None:
                await self.send(frame)

    def _position(self, conversation_id: int) -> dict[str, Any] | None:
        self.seen_at = services.touch_visitor(conversation_id=conversation_id, now=timezone.now(), last_seen=self.seen_at)
        return routing_hooks.position_frame(conversation_id)

    async def on_message(self, frame: dict[str, Any]) -> None:
        _, customer = self._require_hello()
        client_id = services.validate_client_id(frame.get("client_id"))
        body = frame.get("body", "")
        attachment_ids = get_int_list(frame, "attachments")
        first_message = body if isinstance(body, str) else ""
        if self.stream is None:
            await self._open_new_conversation(first_message=first_message)
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
            await self._open_new_conversation(first_message=first_message)
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
        if result.needs_bot:
            # After the ack, in its own step: the visitor's message is stored and acknowledged
            # whatever the bot (or a slow Rasa server) does next.
            await run_service(
                bot_bridge.respond, conversation_id=result.message.conversation_id, message_id=result.message.pk, now=timezone.now()
            )

    async def on_bot_feedback(self, frame: dict[str, Any]) -> None:
        """'Did this help?' answered for one of the bot's answers in this conversation."""
        _, customer = self._require_hello()
        turn_id = get_int(frame, "turn_id")
        helpful = get_bool(frame, "helpful")
        if self.conversation_id is None:
            raise NotFound("No conversation yet.")
        await run_service(
            bot_bridge.feedback,
            conversation_id=self.conversation_id,
            customer_id=customer.pk,
            turn_id=turn_id,
            helpful=helpful,
            now=timezone.now(),
        )
        await self.send({"type": "bot_feedback_recorded", "turn_id": turn_id, "helpful": helpful})

    async def on_request_agent(self, frame: dict[str, Any]) -> None:
        """The visitor asks for a person while the bot has the conversation."""
        _, customer = self._require_hello()
        if self.conversation_id is None:
            raise NotFound("No conversation yet.")
        moved = await run_service(
            bot_bridge.request_person, conversation_id=self.conversation_id, customer_id=customer.pk, now=timezone.now()
        )
        if not moved:
            raise Conflict("The conversation is not with the bot.", reason="not_with_bot")

    async def on_rate(self, frame: dict[str, Any]) -> None:
        """The visitor's 1-5 rating (and comment) of this resolved conversation, once."""
        _, customer = self._require_hello()
        score, comment = get_rating(frame)
        if self.conversation_id is None:
            raise NotFound("No conversation yet.")
        rated = await run_service(
            rating.rate_conversation,
            conversation_id=self.conversation_id,
            customer_id=customer.pk,
            score=score,
            comment=comment,
            now=timezone.now(),
        )
        await self.send({"type": "rated", **rated})

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
        position = None
        if self.stream is not None:
            last_seq, position = await database_sync_to_async(self._heartbeat)(self.stream.conversation_id)
            await self.stream.catch_up(self, last_seq)
        if position is not None:
            await self.send(position)
        await self.send({"type": "pong", "last_seq": last_seq})

    def _heartbeat(self, conversation_id: int) -> tuple[int, dict[str, Any] | None]:
        """One thread hop: the last public seq (to catch up), the place in line, and "the visitor is here"."""
        return _last_public_seq(conversation_id), self._position(conversation_id)

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
        elif kind == routing_hooks.QUEUE_POSITION:
            if event.get("conversation_id") == self.conversation_id:
                await self.send(
                    {
                        "type": "queue_position",
                        "conversation_id": event["conversation_id"],
                        "position": event["position"],
                        "eta_s": event["eta_s"],
                    }
                )
        elif kind in (events.PRESENCE, "staff.availability"):
            await self.send({"type": "presence", "agents_online": event["agents_online"]})


def _visitor_view(conversation: Conversation) -> dict[str, Any]:
    return events.visitor_conversation_view(conversation, last_public_seq=_last_public_seq(conversation.pk))


def _last_public_seq(conversation_id: int) -> int:
    return selectors.last_message_seq(conversation_id=conversation_id, include_internal=False)


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
