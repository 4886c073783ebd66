"""Conversation, Message and Attachment tables."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from contactcenter.core.customers.models import Customer
from contactcenter.core.inboxes.models import Channel
from contactcenter.core.staff.models import AgentProfile, Team


class Conversation(models.Model):
    class Status(models.TextChoices):
        BOT = "bot", _("with the bot")
        QUEUED = "queued", _("waiting for an agent")
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")
        CLOSED = "closed", _("closed")

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="conversations", verbose_name=_("channel"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="conversations", verbose_name=_("customer"))
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations", verbose_name=_("team"))
    assignee = models.ForeignKey(
        AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations", verbose_name=_("assignee")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    language = models.CharField(_("language"), max_length=16, default="en")
    source_url = models.CharField(_("source page"), max_length=2000, blank=True)
    prechat = models.JSONField(_("pre-chat answers"), default=dict, blank=True)
    # The last seq handed out; the next message takes last_seq + 1 under this row's lock.
    last_seq = models.PositiveIntegerField(default=0)
    visitor_last_read_seq = models.PositiveIntegerField(default=0)
    agent_last_read_seq = models.PositiveIntegerField(default=0)
    unread_for_agent = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Refreshed by the widget's hello and heartbeats (at most every 20 s): a queued visitor not seen
    # for CC_VISITOR_GRACE_S has left, and their place in the queue is given up (abandoned).
    visitor_last_seen_at = models.DateTimeField(_("visitor last seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["team", "status"], name="conv_team_status"),
            models.Index(fields=["assignee", "status"], name="conv_assignee_status"),
            models.Index(fields=["customer", "channel", "status"], name="conv_customer_channel"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer} ({self.status})"


class Message(models.Model):
    class SenderKind(models.TextChoices):
        VISITOR = "visitor", _("visitor")
        AGENT = "agent", _("agent")
        BOT = "bot", _("bot")
        SYSTEM = "system", _("system")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField(_("sequence"))
    client_id = models.CharField(_("client id"), max_length=64, null=True, blank=True)
    sender_kind = models.CharField(_("sender"), max_length=16, choices=SenderKind.choices)
    sender_agent = models.ForeignKey(AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    body = models.TextField(_("body"), blank=True)
    # System messages carry a machine-readable event so every client can word them in its language.
    meta = models.JSONField(default=dict, blank=True)
    internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="uniq_message_seq"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"], condition=models.Q(client_id__isnull=False), name="uniq_message_client_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq} {self.sender_kind}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never comes from the client.
    return f"attachments/{instance.conversation_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by_kind = models.CharField(max_length=16, choices=Message.SenderKind.choices)
    uploaded_by_agent = models.ForeignKey(AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
