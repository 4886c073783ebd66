from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsMailConfig(AppConfig):
    name = "tickets.mail"
    label = "tickets_mail"
    verbose_name = _("Ticket e-mail")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from contactcenter.core import periodic
        from tickets import hooks
        from tickets.mail import inbound, outbound

        # Agents' public replies go out by mail: the hook only writes an outbox row, the ticker sends it.
        hooks.subscribe("tickets.mail", outbound.on_ticket_event)
        # Each mailbox has its own poll interval; this job looks for due ones every few seconds.
        periodic.register("tickets.mail.fetch", inbound.fetch_due_mailboxes, every_s=10.0)
        periodic.register("tickets.mail.send", outbound.send_due, every_s=5.0)
        # After-commit hooks do not run if the node stops right after the commit: this catches those replies.
        periodic.register("tickets.mail.enqueue_missed", outbound.enqueue_missed, every_s=60.0)
