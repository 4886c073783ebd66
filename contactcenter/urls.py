"""HTTP routes of the composition root."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from contactcenter.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("widget.urls")),
    path("", include("chat.urls")),
    path("", include("chat.wechat.urls")),
    path("", include("routing.urls")),
    path("", include("bot.urls")),
    path("", include("tickets.urls")),
    path("", include("tickets.sla.urls")),
    path("", include("tickets.automation.urls")),
    path("", include("tickets.csat.urls")),
    path("", include("contactcenter.core.customers.urls")),
    path("", include("tickets.portal.urls")),
    path("", include("contactcenter.console.urls")),
]
