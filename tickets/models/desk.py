"""Desk configuration tables: ticket types (with their field templates), per-team stages, tags, the number counter."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contactcenter.core.staff.models import Team

COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", message=_("a colour like #1f77b4"))


class TicketType(models.Model):
    """A kind of ticket (咨询 / 投诉 / 报修 ...): a colour and a template of custom fields.

    ``field_schema`` is a list of ``{"name", "label", "kind": text|number|date|choice|bool,
    "required", "choices"}``; tickets of this type keep their values in ``Ticket.custom_fields``,
    validated by :mod:`tickets.fields`."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    colour = models.CharField(_("colour"), max_length=7, default="#607d8b", validators=[COLOUR])
    field_schema = models.JSONField(_("fields"), default=list, blank=True)
    # Dispatch by type: routing offers tickets of this type only to agents with these skills.
    required_skills = models.JSONField(_("required skills"), default=dict, blank=True, help_text=_('{"skill slug": minimum level 1-5}'))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from tickets.fields import schema_errors

        errors = schema_errors(self.field_schema)
        if errors:
            raise ValidationError({"field_schema": errors})

    def fields_by_name(self) -> dict[str, dict[str, Any]]:
        return {str(spec["name"]): spec for spec in self.field_schema or [] if isinstance(spec, dict) and "name" in spec}


class Stage(models.Model):
    """One column of a team's workflow (新建 → 处理中 → 已解决 ...), in ``position`` order.

    ``closing``: a ticket in this stage is done (moving it here solves it). ``folded``: the column is
    collapsed on boards by default."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="ticket_stages", verbose_name=_("team"))
    name = models.CharField(_("name"), max_length=100)
    position = models.IntegerField(_("position"), default=0)
    folded = models.BooleanField(_("folded"), default=False)
    closing = models.BooleanField(_("closing"), default=False)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["team", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="tickets_stage_unique_name")]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketCounter(models.Model):
    """The last ticket number handed out, one row per prefix.

    Numbers come from this row, locked and incremented in the creating transaction: a rolled-back
    creation gives its number back, so numbers are gapless as well as unique."""

    prefix = models.CharField(_("prefix"), max_length=8, unique=True)
    last_value = models.BigIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("ticket number counter")
        verbose_name_plural = _("ticket number counters")

    def __str__(self) -> str:
        return f"{self.prefix}{self.last_value}"
