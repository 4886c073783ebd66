from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Chat")

    def ready(self) -> None:
        from chat import routing_hooks, ticketing

        routing_hooks.register()
        # A chat that overflows to "leave a message" becomes a ticket (the ticket desk may not import chat).
        routing_hooks.overflow_to_ticket_hook = ticketing.overflow_to_ticket
        from chat import rating

        rating.register()  # follow-up visits (tickets.csat) of resolved chats read them through this
