"""Staff tables: teams, skills, agent profiles with skill levels, business hours."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class BusinessHours(models.Model):
    """A weekly schedule in one time zone: ``{"mon": [["09:00", "18:00"]], ...}``."""

    name = models.CharField(_("name"), max_length=100)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    weekly = models.JSONField(_("weekly schedule"), default=dict, blank=True)

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from contactcenter.core.staff import worktime

        errors = {}
        try:
            worktime.parse_zone(self.timezone)
        except worktime.ScheduleError as error:
            errors["timezone"] = str(error)
        try:
            worktime.parse_weekly(self.weekly)
        except worktime.ScheduleError as error:
            errors["weekly"] = str(error)
        if errors:
            raise ValidationError(errors)


class BusinessHoursException(models.Model):
    """One local date that differs from the weekly hours: a holiday (closed) or a day with its own hours
    (a make-up working day, 调休, or shortened hours)."""

    calendar = models.ForeignKey(BusinessHours, on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("business hours"))
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True, help_text=_("for example 国庆节 or 调休"))
    is_open = models.BooleanField(
        _("open"), default=False, help_text=_("open with the hours below (a make-up working day); else closed all day")
    )
    spans = models.JSONField(_("hours"), default=list, blank=True, help_text=_('[["09:00", "18:00"]], only when open'))

    class Meta:
        verbose_name = _("business hours exception")
        verbose_name_plural = _("holidays and make-up working days")
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="staff_hours_exception_one_per_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()

    def clean(self) -> None:
        from contactcenter.core.staff import worktime

        if not self.is_open:
            if self.spans:
                raise ValidationError({"spans": _("A closed day has no hours.")})
            return
        try:
            spans = worktime.parse_spans(self.spans)
        except worktime.ScheduleError as error:
            raise ValidationError({"spans": str(error)}) from error
        if not spans:
            raise ValidationError({"spans": _('An open day needs its hours, for example [["09:00", "18:00"]].')})


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    business_hours = models.ForeignKey(BusinessHours, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("business hours"))

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    class Role(models.TextChoices):
        AGENT = "agent", _("agent")
        SUPERVISOR = "supervisor", _("supervisor")
        ADMIN = "admin", _("admin")

    class Status(models.TextChoices):
        ONLINE = "online", _("online")
        AWAY = "away", _("away")
        BUSY = "busy", _("busy")
        OFFLINE = "offline", _("offline")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent")
    display_name = models.CharField(_("display name"), max_length=100)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    teams = models.ManyToManyField(Team, related_name="agents", blank=True, verbose_name=_("teams"))
    languages = models.JSONField(_("languages"), default=list, blank=True)
    max_concurrent_chats = models.PositiveSmallIntegerField(
        _("max concurrent chats"), default=5, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OFFLINE)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_supervisor(self) -> bool:
        return self.role in (self.Role.SUPERVISOR, self.Role.ADMIN)


class AgentSkill(models.Model):
    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="skill_levels")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agent_levels")
    level = models.PositiveSmallIntegerField(_("level"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        verbose_name = _("agent skill")
        verbose_name_plural = _("agent skills")
        constraints = [models.UniqueConstraint(fields=["agent", "skill"], name="uniq_agent_skill")]

    def __str__(self) -> str:
        return f"{self.agent} · {self.skill} ({self.level})"
