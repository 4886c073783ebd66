"""The ticket and what hangs off it: links, the one ordered timeline, attachments, urges, follow-up reminders."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from contactcenter.core.customers.models import Customer
from contactcenter.core.staff.models import AgentProfile, Team
from tickets.models.desk import Stage, Tag, TicketType


class Priority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


#: Routing serves higher numbers first.
ROUTING_PRIORITY = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Status(models.TextChoices):
    OPEN = "open", _("open")
    SOLVED = "solved", _("solved")
    CLOSED = "closed", _("closed")


class Source(models.TextChoices):
    CHAT = "chat", _("chat")
    CALL = "call", _("call")
    VOICEMAIL = "voicemail", _("voicemail")
    EMAIL = "email", _("e-mail")
    WEBFORM = "webform", _("web form")
    PORTAL = "portal", _("customer portal")
    API = "api", _("API")
    AGENT = "agent", _("agent")


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=16, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    type = models.ForeignKey(TicketType, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("type"))
    category = models.CharField(_("category"), max_length=100, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("stage"))
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("team"))
    assignee = models.ForeignKey(
        AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_tickets", verbose_name=_("assignee")
    )
    collaborators = models.ManyToManyField(AgentProfile, blank=True, related_name="collaborating_tickets", verbose_name=_("collaborators"))
    followers = models.ManyToManyField(AgentProfile, blank=True, related_name="followed_tickets", verbose_name=_("followers"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("customer")
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.AGENT)
    # The chat this ticket came from; an id, not a key: tickets may not import chat.
    conversation_id = models.BigIntegerField(_("conversation"), null=True, blank=True, db_index=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    urge_count = models.PositiveIntegerField(_("times urged"), default=0)
    last_urged_at = models.DateTimeField(_("last urged at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_tickets", verbose_name=_("merged into")
    )
    # Words and CJK bigrams of the subject, description and public replies (tickets.search).
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["team", "status", "-created_at"], name="tickets_team_status"),
            models.Index(fields=["assignee", "status"], name="tickets_assignee_status"),
            models.Index(fields=["customer", "-created_at"], name="tickets_customer"),
            models.Index(fields=["status", "due_at"], name="tickets_due"),
            models.Index(fields=["-updated_at"], name="tickets_updated"),
        ]
        constraints = [
            # One ticket per chat: converting twice (or two processes at once) finds the first.
            models.UniqueConstraint(
                fields=["conversation_id"], condition=models.Q(conversation_id__isnull=False), name="tickets_one_per_conversation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN


class TicketLink(models.Model):
    """A relation between two tickets. ``parent``: ``from_ticket`` is the parent of ``to_ticket``;
    ``duplicate``: ``from_ticket`` duplicates ``to_ticket``; ``related`` reads both ways."""

    class Kind(models.TextChoices):
        RELATED = "related", _("related")
        DUPLICATE = "duplicate", _("duplicate of")
        PARENT = "parent", _("parent of")

    from_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out", verbose_name=_("from ticket"))
    to_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in", verbose_name=_("to ticket"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    created_by = models.ForeignKey(
        AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["from_ticket", "to_ticket", "kind"], name="tickets_link_unique"),
            models.CheckConstraint(condition=~models.Q(from_ticket=models.F("to_ticket")), name="tickets_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.from_ticket_id} {self.kind} {self.to_ticket_id}"


class TimelineEntry(models.Model):
    """One event in a ticket's history: a reply, an internal note, a field change (audit) or a system note.

    Author: an agent, the customer, or neither (the system). Internal notes are never shown to customers."""

    class Kind(models.TextChoices):
        PUBLIC_REPLY = "public_reply", _("reply")
        INTERNAL_NOTE = "internal_note", _("internal note")
        FIELD_CHANGE = "field_change", _("field change")
        SYSTEM = "system", _("system")

    #: What a customer may read.
    PUBLIC_KINDS = (Kind.PUBLIC_REPLY,)

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="timeline", verbose_name=_("ticket"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    author_agent = models.ForeignKey(
        AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("agent")
    )
    author_customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("customer")
    )
    body = models.TextField(_("text"), blank=True)
    # Field changes: which field, and its value before and after (JSON, for display and audit).
    field = models.CharField(_("field"), max_length=64, blank=True)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)
    # System entries: a stable code ("merged_into", "urged", "created_from_conversation", ...).
    event = models.CharField(_("event"), max_length=48, blank=True)
    # After a merge, where the entry was written first.
    original_ticket_id = models.BigIntegerField(_("original ticket"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="tickets_timeline_order")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.field or self.event}"

    @property
    def is_public(self) -> bool:
        return self.kind in self.PUBLIC_KINDS


def attachment_path(instance: TicketAttachment, filename: str) -> str:
    return f"tickets/{instance.ticket_id}/{filename}"


class TicketAttachment(models.Model):
    """A file on a ticket, usually on one timeline entry: it is public exactly when that entry is."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket"))
    entry = models.ForeignKey(
        TimelineEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments", verbose_name=_("timeline entry")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class Urge(models.Model):
    """催单: someone asked for the ticket to be hurried (reports count these; the rate limit reads them)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="urges", verbose_name=_("ticket"))
    by_agent = models.ForeignKey(AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("agent"))
    by_customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("customer")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("urge")
        verbose_name_plural = _("urges")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="tickets_urge_recent")]

    def __str__(self) -> str:
        return f"urge {self.ticket_id} at {self.created_at}"


class FollowUp(models.Model):
    """追单: a reminder for one agent to come back to a ticket at ``due_at``; the periodic job fires it once."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("ticket"))
    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="ticket_follow_ups", verbose_name=_("agent"))
    due_at = models.DateTimeField(_("due at"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"))
    fired_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up reminder")
        verbose_name_plural = _("follow-up reminders")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["fired_at", "cancelled_at", "due_at"], name="tickets_followup_due")]

    def __str__(self) -> str:
        return f"follow-up {self.ticket_id} at {self.due_at}"
