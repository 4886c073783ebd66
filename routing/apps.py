"""Routing app: queues, waiting entries, offers and the dispatcher around the pure engine."""

from datetime import datetime

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _sweep(now: datetime) -> None:
    from routing.services import sweep

    sweep(now=now)


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = _("routing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from contactcenter.core import periodic

        # Lapse timed-out offers, overflow long waits, end returning-customer waits, dispatch.
        periodic.register("routing.sweep", _sweep, every_s=1.0)
