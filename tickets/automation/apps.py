from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "tickets.automation"
    label = "tickets_automation"
    verbose_name = _("Ticket automation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from contactcenter.core import periodic
        from tickets import hooks
        from tickets.automation import engine, webhooks

        hooks.subscribe("tickets.automation", engine.on_ticket_event)
        periodic.register("tickets_automation.time_rules", engine.run_time_rules, every_s=60.0)
        periodic.register("tickets_automation.webhooks", webhooks.deliver_due, every_s=5.0)
