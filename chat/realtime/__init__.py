"""Realtime sessions for visitors and agents (transport-independent); see base.py."""

from chat.realtime.agent import AgentSession
from chat.realtime.base import ConversationStream, Session, Transport, run_service
from chat.realtime.widget import WidgetSession

__all__ = ["AgentSession", "ConversationStream", "Session", "Transport", "WidgetSession", "run_service"]
