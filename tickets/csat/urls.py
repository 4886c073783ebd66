from django.urls import path

from tickets.csat import api, views

app_name = "tickets-csat"

urlpatterns = [
    path("csat/<str:token>/", views.rate, name="rate"),
    path("api/csat/", api.ReportView.as_view(), name="report"),
    path("api/tickets/<int:ticket_id>/csat/", api.TicketRatingView.as_view(), name="ticket-rating"),
    path("api/visits/", api.VisitsView.as_view(), name="visits"),
    path("api/visits/<int:visit_id>/outcome/", api.VisitOutcomeView.as_view(), name="visit-outcome"),
]
