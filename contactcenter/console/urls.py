"""Routes of the agent console."""

from django.urls import URLPattern, path

from contactcenter.console import views

app_name = "console"

urlpatterns: list[URLPattern] = [
    path("console/", views.console, name="console"),
    path("console/tickets/", views.tickets, name="tickets"),
    path("console/tickets/<int:ticket_id>/", views.ticket, name="ticket"),
    path("console/login/", views.ConsoleLoginView.as_view(), name="login"),
    path("console/logout/", views.ConsoleLogoutView.as_view(), name="logout"),
]
