from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from contactcenter.core import periodic
        from routing import handlers
        from tickets.services import dispatch

        handlers.register("ticket", assigned=dispatch.on_assigned, overflowed=dispatch.on_overflowed)
        from bot import hooks
        from tickets import bot_backend

        # The bot's ticket actions (Rasa) open and look up tickets here; the bot may not import tickets.
        hooks.register_ticket_backend(create=bot_backend.create, status=bot_backend.status, name="tickets")
        periodic.register("tickets.follow_ups", dispatch.fire_due_follow_ups, every_s=15.0)
        from tickets.services import portal

        periodic.register("tickets.portal_links", portal.purge_portal_links, every_s=3600.0)
