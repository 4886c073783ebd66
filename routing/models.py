"""Routing tables: queues, waiting entries, offers, per-agent routing state, round-robin pointers, source rules."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contactcenter.core.staff.models import AgentProfile, BusinessHours, Team
from routing.engine import QueuePolicy, StrategyName, WorkKind

_NOT_NEGATIVE = MinValueValidator(0, message=_("must not be negative"))


class Kind(models.TextChoices):
    CHAT = WorkKind.CHAT.value, _("chat")
    CALL = WorkKind.CALL.value, _("call")
    TICKET = WorkKind.TICKET.value, _("ticket")


class Strategy(models.TextChoices):
    ROUND_ROBIN = StrategyName.ROUND_ROBIN.value, _("round-robin")
    LEAST_LOAD = StrategyName.LEAST_LOAD.value, _("least load")
    RETURNING_CUSTOMER = StrategyName.RETURNING_CUSTOMER.value, _("returning customer")
    SKILL_BASED = StrategyName.SKILL_BASED.value, _("skill-based")
    RING_ALL = StrategyName.RING_ALL.value, _("ring all")
    FEWEST_CALLS = StrategyName.FEWEST_CALLS.value, _("fewest calls")
    LONGEST_IDLE = StrategyName.LONGEST_IDLE.value, _("longest idle")
    MOST_RECENT = StrategyName.MOST_RECENT.value, _("most recent")
    RANDOM = StrategyName.RANDOM.value, _("random")
    LINEAR = StrategyName.LINEAR.value, _("linear order")


class Queue(models.Model):
    """Where waiting work of one kind lines up, and how agents are picked for it."""

    class OverflowAction(models.TextChoices):
        NONE = "none", _("keep waiting")
        QUEUE = "queue", _("move to another queue")
        TICKET = "ticket", _("leave a message (ticket)")
        VOICEMAIL = "voicemail", _("voicemail")

    name = models.CharField(_("name"), max_length=100, unique=True)
    # Only agents of this team are offered the queue's work; no team: any agent.
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="queues", verbose_name=_("team"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.CHAT)
    strategy = models.CharField(_("strategy"), max_length=32, choices=Strategy.choices, default=Strategy.ROUND_ROBIN)
    params = models.JSONField(_("strategy parameters"), default=dict, blank=True)
    match_language = models.BooleanField(_("match language"), default=True)
    required_skills = models.JSONField(_("required skills"), default=dict, blank=True, help_text=_('{"skill slug": minimum level 1-5}'))
    offer_timeout_s = models.IntegerField(
        _("offer timeout (s)"), default=30, validators=[_NOT_NEGATIVE], help_text=_("0: offers never time out")
    )
    auto_accept = models.BooleanField(_("auto-accept"), default=False)
    max_wait_s = models.IntegerField(_("maximum wait (s)"), null=True, blank=True, validators=[_NOT_NEGATIVE])
    overflow_action = models.CharField(_("on overflow"), max_length=16, choices=OverflowAction.choices, default=OverflowAction.NONE)
    overflow_queue = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("overflow queue")
    )
    wrap_up_s = models.IntegerField(_("wrap-up time (s)"), default=0, validators=[_NOT_NEGATIVE])
    business_hours = models.ForeignKey(
        BusinessHours, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("business hours")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def policy_config(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "params": self.params or {},
            "team_ids": [self.team_id] if self.team_id is not None else [],
            "match_language": self.match_language,
        }

    def policy(self) -> QueuePolicy:
        """The engine policy; raises PolicyError for a configuration that bypassed validation."""
        return QueuePolicy.from_config(self.policy_config())

    def clean(self) -> None:
        from routing.validation import queue_errors

        errors = queue_errors(self)
        if errors:
            raise ValidationError(errors)


class QueueEntry(models.Model):
    """One work item (known only by kind and id) waiting in, offered from, or assigned through a queue."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        OFFERED = "offered", _("offered")
        ASSIGNED = "assigned", _("assigned")
        ABANDONED = "abandoned", _("abandoned")
        OVERFLOWED = "overflowed", _("overflowed")
        CANCELLED = "cancelled", _("cancelled")

    LIVE = (Status.WAITING, Status.OFFERED)

    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="entries", verbose_name=_("queue"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    item_id = models.BigIntegerField(_("item id"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.WAITING)
    priority = models.IntegerField(_("priority"), default=0)
    required_skills = models.JSONField(_("required skills"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=16, null=True, blank=True)
    source = models.JSONField(_("source"), default=dict, blank=True)
    customer_id = models.BigIntegerField(_("customer id"), null=True, blank=True)
    enqueued_at = models.DateTimeField(_("enqueued at"))
    # Returning customer: the engine waits for the last agent until then (for display; the engine recomputes it).
    wait_until = models.DateTimeField(_("waiting for the last agent until"), null=True, blank=True)
    assigned_agent = models.ForeignKey(
        AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="routing_entries", verbose_name=_("assigned agent")
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    # Set by the owner when the work ends: the agent's load drops and wrap-up starts.
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("left the queue at"), null=True, blank=True)
    excluded_agent_ids = models.JSONField(_("excluded agents"), default=list, blank=True)
    note = models.TextField(_("transfer note"), blank=True)
    transferred_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("transferred from")
    )

    class Meta:
        verbose_name = _("queue entry")
        verbose_name_plural = _("queue entries")
        ordering = ["-priority", "enqueued_at", "id"]
        constraints = [
            # One item waits in one place at a time.
            models.UniqueConstraint(
                fields=["kind", "item_id"], condition=models.Q(status__in=["waiting", "offered"]), name="routing_one_live_entry_per_item"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "queue", "priority", "enqueued_at"], name="routing_entry_waiting"),
            models.Index(fields=["assigned_agent", "status", "finished_at"], name="routing_entry_agent_load"),
            models.Index(fields=["kind", "item_id"], name="routing_entry_item"),
            models.Index(fields=["customer_id", "assigned_at"], name="routing_entry_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id} in {self.queue_id} ({self.status})"


class Offer(models.Model):
    """An entry offered to one agent; ring-all makes several pending offers and the first accept wins."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("expired")

    entry = models.ForeignKey(QueueEntry, on_delete=models.CASCADE, related_name="offers", verbose_name=_("queue entry"))
    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="routing_offers", verbose_name=_("agent"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    offered_at = models.DateTimeField(_("offered at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-offered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "agent"], condition=models.Q(status="pending"), name="routing_one_pending_offer"),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="routing_offer_expiry"),
            models.Index(fields=["agent", "status"], name="routing_offer_agent"),
        ]

    def __str__(self) -> str:
        return f"offer {self.entry_id} -> {self.agent_id} ({self.status})"


class AgentRoutingState(models.Model):
    """What routing keeps per agent beyond the staff profile. Load is derived from live entries and offers."""

    agent = models.OneToOneField(AgentProfile, on_delete=models.CASCADE, related_name="routing_state", verbose_name=_("agent"))
    pause_reason = models.CharField(_("pause reason"), max_length=64, blank=True)
    wrap_up_until = models.DateTimeField(_("wrap-up until"), null=True, blank=True)
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True)
    last_call_ended_at = models.DateTimeField(_("last call ended at"), null=True, blank=True)
    linear_position = models.IntegerField(_("position in linear ringing"), default=0)

    class Meta:
        verbose_name = _("agent routing state")
        verbose_name_plural = _("agent routing states")

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.pause_reason or 'ready'}"


class QueueState(models.Model):
    """Engine state per queue: the round-robin pointer, written in the dispatch transaction."""

    queue = models.OneToOneField(Queue, on_delete=models.CASCADE, related_name="state", verbose_name=_("queue"))
    last_agent_id = models.BigIntegerField(_("last agent"), null=True, blank=True)

    class Meta:
        verbose_name = _("queue state")
        verbose_name_plural = _("queue states")

    def __str__(self) -> str:
        return f"{self.queue_id}: {self.last_agent_id}"


class SourceRule(models.Model):
    """来源分配: the first active rule (by position) whose conditions all hold sends the item to its queue."""

    name = models.CharField(_("name"), max_length=100)
    position = models.IntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.CHAT)
    channel_ids = models.JSONField(_("channels"), default=list, blank=True)
    page_url_globs = models.JSONField(_("page URL patterns"), default=list, blank=True)
    page_url_regex = models.CharField(_("page URL regular expression"), max_length=500, blank=True)
    keywords = models.JSONField(_("keywords in the first message"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    customer_tags = models.JSONField(_("customer tags"), default=list, blank=True)
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="source_rules", verbose_name=_("queue"))
    priority = models.IntegerField(_("priority"), null=True, blank=True)

    class Meta:
        verbose_name = _("source rule")
        verbose_name_plural = _("source rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from routing.validation import source_rule_errors

        errors = source_rule_errors(self)
        if errors:
            raise ValidationError(errors)

    def to_engine(self) -> Any:
        from routing.engine import SourceRule as EngineRule

        return EngineRule(
            name=self.name,
            queue_id=self.queue_id,
            priority=self.priority,
            channel_ids=frozenset(self.channel_ids or ()),
            page_url_globs=tuple(self.page_url_globs or ()),
            page_url_regex=self.page_url_regex or None,
            keywords=tuple(self.keywords or ()),
            languages=frozenset(self.languages or ()),
            customer_tags=frozenset(self.customer_tags or ()),
        )
