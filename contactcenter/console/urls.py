"""Routes of the agent console."""

from django.urls import URLPattern, path

from contactcenter.console import views

app_name = "console"

urlpatterns: list[URLPattern] = [
    path("console/", views.console, name="console"),
    path("console/login/", views.ConsoleLoginView.as_view(), name="login"),
    path("console/logout/", views.ConsoleLogoutView.as_view(), name="logout"),
]
