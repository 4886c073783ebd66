"""Conversations, messages and attachments; realtime sessions for visitors and agents."""
