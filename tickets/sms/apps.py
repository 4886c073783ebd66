from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsSmsConfig(AppConfig):
    name = "tickets.sms"
    label = "tickets_sms"
    verbose_name = _("Ticket SMS")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from contactcenter.core import periodic
        from tickets.sms import outbound

        # Rules only write outbox rows; the ticker hands them to the gateway, never inside a request.
        periodic.register("tickets_sms.send", outbound.send_due, every_s=5.0)
