"""Automation tables: message templates, macros, canned replies, rules with their execution log, webhooks and their outbox."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from contactcenter.core.staff.models import AgentProfile, Team
from tickets.models import Ticket


class Template(models.Model):
    """A message with ``${...}`` placeholders (tickets.automation.rendering): a public reply, an e-mail or an SMS."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("reply")
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.REPLY)
    language = models.CharField(_("language"), max_length=16, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    # E-mail only: the body is HTML, so placeholders are escaped when rendered.
    is_html = models.BooleanField(_("HTML body"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Macro(models.Model):
    """A named bundle of actions an agent applies to one ticket in one call; personal (``owner``) or shared."""

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(
        AgentProfile, on_delete=models.CASCADE, null=True, blank=True, related_name="ticket_macros", verbose_name=_("owner")
    )
    # A list of actions (tickets.automation.actions): [{"type": "set_priority", "value": "high"}, ...]
    actions = models.JSONField(_("actions"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="tickets_automation_macro_name"),
            models.UniqueConstraint(fields=["name"], condition=models.Q(owner__isnull=True), name="tickets_automation_shared_macro_name"),
        ]

    def __str__(self) -> str:
        return self.name


class CannedReply(models.Model):
    """A ready answer an agent inserts with ``::shortcut``: personal (``owner``), shared with a team, or with everyone."""

    title = models.CharField(_("title"), max_length=100)
    shortcut = models.SlugField(_("shortcut"), max_length=40, allow_unicode=True)
    body = models.TextField(_("body"))
    owner = models.ForeignKey(
        AgentProfile, on_delete=models.CASCADE, null=True, blank=True, related_name="canned_replies", verbose_name=_("owner")
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="canned_replies", verbose_name=_("team"))
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["shortcut", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "shortcut"], name="tickets_automation_canned_shortcut"),
            models.UniqueConstraint(
                fields=["team", "shortcut"], condition=models.Q(owner__isnull=True), name="tickets_automation_shared_canned_shortcut"
            ),
            models.UniqueConstraint(
                fields=["shortcut"],
                condition=models.Q(owner__isnull=True, team__isnull=True),
                name="tickets_automation_global_canned_shortcut",
            ),
        ]

    def __str__(self) -> str:
        return f"::{self.shortcut}"


class Rule(models.Model):
    """When (an event, or time passing), if (conditions), then (actions). Rules run in ``position`` order."""

    class Trigger(models.TextChoices):
        EVENT = "event", _("on ticket events")
        TIME = "time", _("on time (periodic)")

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.IntegerField(_("position"), default=0)
    trigger = models.CharField(_("trigger"), max_length=8, choices=Trigger.choices, default=Trigger.EVENT)
    # Event rules: which events ("created", "updated", "replied", "noted", "assigned", "urged").
    events = models.JSONField(_("events"), default=list, blank=True)
    # {"all": [condition, ...], "any": [condition, ...]} (tickets.automation.conditions)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    # Time rules without a time condition fire at most once per ticket per this many hours.
    period_hours = models.PositiveIntegerField(_("period (hours)"), default=24)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class RuleRun(models.Model):
    """The execution log: one row each time a rule fired on a ticket (what triggered it, what it did, what failed)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="automation_runs", verbose_name=_("ticket"))
    rule = models.ForeignKey(Rule, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs", verbose_name=_("rule"))
    rule_name = models.CharField(_("rule name"), max_length=100)
    trigger = models.CharField(_("trigger"), max_length=48)
    # Rules set off by other rules' changes share a chain; depth 0 is the person's (or the clock's) change.
    chain = models.CharField(_("chain"), max_length=32)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    actions = models.JSONField(_("actions done"), default=list)
    errors = models.JSONField(_("errors"), default=list)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("rule run")
        verbose_name_plural = _("rule runs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["ticket", "-created_at"], name="tickets_automation_run_ticket")]

    def __str__(self) -> str:
        return f"{self.rule_name} on {self.ticket_id}"


class TimeRuleFiring(models.Model):
    """A time rule fired on a ticket for one ``key`` (the timestamps its time conditions measured, or a period):
    unique, so it fires once per key even with several tickers."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "ticket", "key"], name="tickets_automation_firing_once")]

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.ticket_id}: {self.key}"


class Webhook(models.Model):
    """Where a rule's ``webhook`` action POSTs JSON, signed with HMAC-SHA256 of ``secret``."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """The outbox: a webhook call waiting to be made (or retried with backoff) by the periodic job, never in a request."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("webhook"))
    ticket_id = models.BigIntegerField(_("ticket"), null=True, blank=True)
    payload = models.JSONField(_("payload"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("given up at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["delivered_at", "failed_at", "next_attempt_at"], name="tickets_automation_outbox_due")]

    def __str__(self) -> str:
        return f"{self.webhook_id} #{self.pk}"
