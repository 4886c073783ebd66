"""Bot app: the FAQ knowledge base, retrieval, the answer/handoff policy and the Rasa bridge."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BotConfig(AppConfig):
    name = "bot"
    verbose_name = _("FAQ bot")
    default_auto_field = "django.db.models.BigAutoField"
