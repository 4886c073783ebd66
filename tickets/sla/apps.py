from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsSlaConfig(AppConfig):
    name = "tickets.sla"
    label = "tickets_sla"
    verbose_name = _("Ticket SLA")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from contactcenter.core import periodic
        from tickets import hooks
        from tickets.sla.services import fire_due, on_ticket_event

        # Every ticket event recomputes that ticket's clocks from its history (after commit).
        hooks.subscribe("tickets.sla", on_ticket_event)
        periodic.register("tickets_sla.fire", fire_due, every_s=15.0)
