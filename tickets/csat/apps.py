from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsCsatConfig(AppConfig):
    name = "tickets.csat"
    label = "tickets_csat"
    verbose_name = _("Satisfaction and follow-up visits")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from contactcenter.core import periodic
        from tickets import hooks
        from tickets.csat import services, visits

        # A ticket that becomes solved gets its rating invitation (after commit); the ticker mails it.
        hooks.subscribe("tickets.csat", services.on_ticket_event)
        periodic.register("tickets_csat.send_invitations", services.send_due_invitations, every_s=30.0)
        periodic.register("tickets_csat.escalate_visits", visits.escalate_overdue, every_s=60.0)
