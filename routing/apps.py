"""Routing app: queues, waiting entries, offers and the dispatcher around the pure engine."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = _("routing")
    default_auto_field = "django.db.models.BigAutoField"
