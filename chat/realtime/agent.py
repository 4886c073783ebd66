"""The agent side of the realtime protocol (/ws/agent/)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from chat import events, routing_hooks, selectors, services, ticketing
from chat.access import access_conversation_for_agent
from chat.models import Conversation
from chat.protocol import (
    CLOSE_UNAUTHENTICATED,
    error_frame,
    get_bool,
    get_int,
    get_int_list,
    get_optional_int,
    get_str,
)
from chat.realtime.base import ConversationStream, Session, Transport, limits, run_service
from contactcenter.core.customers.selectors import customer_card
from contactcenter.core.errors import NotFound, Unauthenticated
from contactcenter.core.staff.models import AgentProfile, Team
from contactcenter.core.staff.services import set_status, touch_presence
from routing import events as routing_events


class AgentSession(Session):
    handlers = {
        "join": "on_join",
        "leave": "on_leave",
        "message": "on_message",
        "typing": "on_typing",
        "read": "on_read",
        "take": "on_take",
        "resolve": "on_resolve",
        "convert_to_ticket": "on_convert_to_ticket",
        "status": "on_status",
        "pause": "on_pause",
        "accept_offer": "on_accept_offer",
        "decline_offer": "on_decline_offer",
        "transfer": "on_transfer",
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
        await self.transport.join(routing_events.agent_group(self.agent.pk))
        if self.agent.is_supervisor:
            await self.transport.join("supervisors")
            await self.transport.join(routing_events.SUPERVISORS_GROUP)
        await self.send(await database_sync_to_async(self._ready)())
        if self.agent.status == AgentProfile.Status.ONLINE:
            # Back after a break in the heartbeat: work that waited for someone may be offered now.
            await run_service(self._dispatch)
        return True

    def _dispatch(self) -> None:
        services.dispatch_after_commit(None)

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
            "offers": routing_hooks.pending_offers(agent.pk),
            "pause_reason": routing_hooks.pause_reason(agent.pk),
            "limits": limits(),
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
            "insights": selectors.conversation_insights(conversation_id=conversation.pk),
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

    async def on_convert_to_ticket(self, frame: dict[str, Any]) -> None:
        conversation_id = get_int(frame, "conversation_id", minimum=1)
        ticket = await run_service(ticketing.convert, agent=self._agent(), conversation_id=conversation_id, now=timezone.now())
        await self.send({"type": "converted", "conversation_id": conversation_id, "ticket_id": ticket.pk, "ticket_number": ticket.number})

    async def on_status(self, frame: dict[str, Any]) -> None:
        status = get_str(frame, "status", max_len=16)
        agent = await run_service(self._set_status, status=status)
        self.agent = agent

    def _set_status(self, *, status: str) -> AgentProfile:
        agent = set_status(agent=self._agent(), status=status, now=timezone.now())
        if status == AgentProfile.Status.ONLINE:
            services.dispatch_after_commit(None)
        return agent

    async def on_pause(self, frame: dict[str, Any]) -> None:
        """Pause routing with a reason (lunch, training, ...) or resume with an empty one; status stays."""
        reason = get_str(frame, "reason", default="", max_len=64)
        await run_service(routing_hooks.set_pause, agent=self._agent(), reason=reason, now=timezone.now())
        await self.send({"type": "paused", "reason": reason.strip()})

    async def on_accept_offer(self, frame: dict[str, Any]) -> None:
        offer_id = get_int(frame, "offer_id", minimum=1)
        conversation_id = await run_service(routing_hooks.accept_offer, offer_id=offer_id, agent=self._agent(), now=timezone.now())
        await self.send({"type": "offer_accepted", "offer_id": offer_id, "conversation_id": conversation_id})

    async def on_decline_offer(self, frame: dict[str, Any]) -> None:
        offer_id = get_int(frame, "offer_id", minimum=1)
        conversation_id = await run_service(routing_hooks.decline_offer, offer_id=offer_id, agent=self._agent(), now=timezone.now())
        await self.send({"type": "offer_declined", "offer_id": offer_id, "conversation_id": conversation_id})

    async def on_transfer(self, frame: dict[str, Any]) -> None:
        conversation_id = get_int(frame, "conversation_id", minimum=1)
        to_agent_id = get_optional_int(frame, "to_agent_id", minimum=1)
        to_queue_id = get_optional_int(frame, "to_queue_id", minimum=1)
        to_supervisor = get_bool(frame, "to_supervisor")
        note = get_str(frame, "note", default="", max_len=2000)
        await run_service(
            services.transfer_conversation,
            conversation_id=conversation_id,
            by=self._agent(),
            now=timezone.now(),
            to_agent_id=to_agent_id,
            to_queue_id=to_queue_id,
            to_supervisor=to_supervisor,
            note=note,
        )
        await self.send({"type": "transferred", "conversation_id": conversation_id})

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
        elif kind == routing_events.OFFERED and event.get("kind") == "chat":
            await self.send(
                routing_hooks.offer_frame(
                    event["offer_id"], event["item_id"], event["queue_id"], event.get("expires_at"), event.get("note", "")
                )
            )
        elif kind == routing_events.OFFER_WITHDRAWN and event.get("kind") == "chat":
            await self.send({"type": "offer_withdrawn", "conversation_id": event["item_id"], "reason": event.get("reason", "")})
        elif kind == routing_events.ASSIGNED and event.get("kind") == "chat" and event.get("assigned_agent_id") == agent.pk:
            await self.send({"type": "assigned", "conversation_id": event["item_id"], "via": event.get("via", "")})
        elif kind == routing_events.AGENT_STATE_CHANGED:
            await self.send(
                {
                    "type": "agent_state",
                    "agent_id": event["agent_id"],
                    "pause_reason": event.get("pause_reason", ""),
                    "wrap_up_until": event.get("wrap_up_until"),
                }
            )
