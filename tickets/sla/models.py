"""SLA tables: policies (scope, targets in working time, warnings, breach actions), stages that wait on the customer, clocks."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contactcenter.core.staff.models import BusinessHours, Team
from tickets.models import Priority, Stage, Ticket, TicketType


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("first response")
    NEXT_RESPONSE = "next_response", _("next response")
    RESOLUTION = "resolution", _("resolution")
    STAGE = "stage", _("reach stage")


class SlaPolicy(models.Model):
    """The first active policy (by ``position``) whose scope matches a ticket sets its clocks.

    Empty scope lists match anything. Targets are working seconds in ``calendar`` (none: 24×7); a
    target left empty is not measured."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.IntegerField(_("position"), default=0, help_text=_("the first matching policy wins"))
    teams = models.ManyToManyField(Team, blank=True, related_name="+", verbose_name=_("teams"))
    ticket_types = models.ManyToManyField(TicketType, blank=True, related_name="+", verbose_name=_("ticket types"))
    priorities = models.JSONField(_("priorities"), default=list, blank=True, help_text=_('e.g. ["high", "urgent"]; empty: any'))
    customer_tags = models.JSONField(_("customer tags"), default=list, blank=True, help_text=_("any of these; empty: any customer"))
    calendar = models.ForeignKey(
        BusinessHours, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("business hours")
    )
    first_response_s = models.PositiveIntegerField(_("first response within (working seconds)"), null=True, blank=True)
    next_response_s = models.PositiveIntegerField(_("next response within (working seconds)"), null=True, blank=True)
    resolution_s = models.PositiveIntegerField(_("resolution within (working seconds)"), null=True, blank=True)
    # A deleted stage leaves the policy without its stage target (not measured), never deletes the policy.
    target_stage = models.ForeignKey(
        Stage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("reach stage")
    )
    stage_s = models.PositiveIntegerField(_("reach the stage within (working seconds)"), null=True, blank=True)
    warn_before_s = models.PositiveIntegerField(_("warn this many working seconds before"), null=True, blank=True)
    warn_before_percent = models.PositiveSmallIntegerField(
        _("warn when this share of the target is left (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    raise_priority = models.BooleanField(_("on breach: raise the priority one step"), default=False)
    redispatch = models.BooleanField(_("on breach: reassign through routing"), default=False)
    notify_supervisors = models.BooleanField(_("on breach: notify the team's supervisors"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        unknown = set(self.priorities or []) - set(Priority.values)
        if unknown:
            errors["priorities"] = str(_("Unknown priority: %(names)s.") % {"names": ", ".join(sorted(map(str, unknown)))})
        if not isinstance(self.customer_tags, list) or not all(isinstance(t, str) for t in self.customer_tags):
            errors["customer_tags"] = str(_("A list of tags."))
        if (self.target_stage_id is None) != (self.stage_s is None):
            errors["stage_s"] = str(_("A stage target needs both the stage and the time."))
        if self.warn_before_s is not None and self.warn_before_percent is not None:
            errors["warn_before_percent"] = str(_("Warn either by seconds or by percent, not both."))
        if errors:
            raise ValidationError(errors)

    def targets(self) -> dict[str, int]:
        found = {
            Metric.FIRST_RESPONSE: self.first_response_s,
            Metric.NEXT_RESPONSE: self.next_response_s,
            Metric.RESOLUTION: self.resolution_s,
            Metric.STAGE: self.stage_s if self.target_stage_id is not None else None,
        }
        return {str(metric): seconds for metric, seconds in found.items() if seconds}


class PausingStage(models.Model):
    """A stage in which a ticket waits on the customer (待客户回复): its SLA clocks stop counting."""

    stage = models.OneToOneField(Stage, on_delete=models.CASCADE, related_name="+", verbose_name=_("stage"))

    class Meta:
        verbose_name = _("stage waiting on the customer")
        verbose_name_plural = _("stages waiting on the customer")

    def __str__(self) -> str:
        return str(self.stage)


class SlaClock(models.Model):
    """One clock of one ticket: a metric and its cycle (next response has one per unanswered customer reply).

    Everything but the ``*_fired_at`` columns is recomputed from the ticket's history; those two are
    written only by the firing job, under a row lock, so a warning and a breach each fire once."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks", verbose_name=_("ticket"))
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, related_name="clocks", verbose_name=_("SLA policy"))
    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices)
    cycle = models.PositiveIntegerField(_("cycle"), default=0)
    target_s = models.PositiveIntegerField(_("target (working seconds)"))
    started_at = models.DateTimeField(_("started at"))
    # While running: when the target is reached and when to warn. Paused or stopped: null.
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    is_paused = models.BooleanField(_("paused"), default=False)
    remaining_s = models.IntegerField(_("working seconds left when paused or stopped"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("met or stopped at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    warning_fired_at = models.DateTimeField(_("warning fired at"), null=True, blank=True)
    breach_fired_at = models.DateTimeField(_("breach fired at"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["ticket", "metric", "cycle"]
        constraints = [models.UniqueConstraint(fields=["ticket", "metric", "cycle"], name="tickets_sla_one_clock_per_cycle")]
        indexes = [
            models.Index(fields=["warn_at"], name="tickets_sla_warn", condition=models.Q(warning_fired_at__isnull=True)),
            models.Index(fields=["due_at"], name="tickets_sla_due", condition=models.Q(breach_fired_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric}#{self.cycle}"
