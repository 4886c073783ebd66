"""The Channel table: one widget install, the hotline, an e-mail address, a web form."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from contactcenter.core.staff.models import BusinessHours, Team

PRECHAT_FIELD_TYPES = ("text", "email", "tel")


def new_public_key() -> str:
    return secrets.token_urlsafe(16)


def normalize_origin(origin: str) -> str:
    """``https://Shop.example:443/path`` -> ``https://shop.example``; ``*`` stays ``*``."""
    origin = origin.strip()
    if origin == "*":
        return origin
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("%(origin)s is not an origin like https://shop.example") % {"origin": origin})
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def validate_origins(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(_("Allowed origins must be a list of strings."))
    for origin in value:
        normalize_origin(origin)


def validate_prechat_fields(value: Any) -> None:
    if not isinstance(value, list):
        raise ValidationError(_("Pre-chat fields must be a list."))
    for field in value:
        if not isinstance(field, dict) or not isinstance(field.get("name"), str) or not field["name"]:
            raise ValidationError(_("Each pre-chat field needs a name."))
        if field.get("type", "text") not in PRECHAT_FIELD_TYPES:
            raise ValidationError(_("Pre-chat field type must be one of: text, email, tel."))


class Channel(models.Model):
    class Kind(models.TextChoices):
        WIDGET = "widget", _("website widget")
        HOTLINE = "hotline", _("hotline")
        EMAIL = "email", _("e-mail")
        WEBFORM = "webform", _("web form")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WIDGET)
    public_key = models.CharField(_("public key"), max_length=64, unique=True, default=new_public_key)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="channels", verbose_name=_("team"))
    is_active = models.BooleanField(_("active"), default=True)
    allowed_origins = models.JSONField(
        _("allowed origins"),
        default=list,
        blank=True,
        validators=[validate_origins],
        help_text=_('Websites that may embed this widget, e.g. ["https://shop.example"]; "*" allows any.'),
    )
    greeting_en = models.CharField(_("greeting (English)"), max_length=300, blank=True)
    greeting_zh_hans = models.CharField(_("greeting (Chinese)"), max_length=300, blank=True)
    prechat_fields = models.JSONField(
        _("pre-chat fields"),
        default=list,
        blank=True,
        validators=[validate_prechat_fields],
        help_text=_('e.g. [{"name": "name", "label_en": "Name", "label_zh": "姓名", "type": "text", "required": true}]'),
    )

    class BotMode(models.TextChoices):
        BUILTIN = "builtin", _("built-in FAQ bot answers first")
        RASA = "rasa", _("an external Rasa assistant answers first (the built-in bot if it fails)")
        OFF = "off", _("no bot: straight to the queue")

    # The built-in bot steps aside while the knowledge base has nothing published for the team.
    bot_mode = models.CharField(_("bot"), max_length=16, choices=BotMode.choices, default=BotMode.BUILTIN)
    rasa_url = models.URLField(
        _("Rasa server"),
        blank=True,
        help_text=_("Base URL of the assistant's REST channel, e.g. http://rasa:5005 (for the Rasa bot mode)."),
    )
    color = models.CharField(_("colour"), max_length=16, default="#2563eb")
    business_hours = models.ForeignKey(BusinessHours, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("business hours"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.bot_mode == self.BotMode.RASA and not self.rasa_url:
            raise ValidationError({"rasa_url": _("Give the Rasa server's URL, or choose another bot mode.")})

    def allows_origin(self, origin: str | None) -> bool:
        if "*" in self.allowed_origins:
            return True
        if not origin:
            return False
        try:
            wanted = normalize_origin(origin)
        except ValidationError:
            return False
        return any(normalize_origin(o) == wanted for o in self.allowed_origins if o != "*")

    def greeting(self, language: str) -> str:
        if language.startswith("zh"):
            return self.greeting_zh_hans or self.greeting_en
        return self.greeting_en or self.greeting_zh_hans
