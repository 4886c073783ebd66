from django.urls import path

from tickets.sla import api

urlpatterns = [
    path("api/tickets/sla/", api.SlaBadgesView.as_view(), name="tickets-sla-badges"),
    path("api/tickets/<int:ticket_id>/sla/", api.TicketSlaView.as_view(), name="ticket-sla"),
]
