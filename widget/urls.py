"""Public routes of the widget: the loader script, its vendor file and the visitor HTTP API."""

from django.urls import URLPattern, path

from widget import api, views

app_name = "widget"

urlpatterns: list[URLPattern] = [
    path("widget.js", views.widget_js, name="widget-js"),
    path("widget/vendor/socket.io.min.js", views.vendor_socketio_js, name="vendor-socketio"),
    path("widget/api/attachments", api.attachments, name="attachments"),
    path("widget/api/attachments/<int:attachment_id>", api.attachment_file, name="attachment-file"),
]
