"""HTTP routes of routing: the queue configuration API (routing.api)."""

from django.urls import URLPattern, path

from routing import api

urlpatterns: list[URLPattern] = [
    path("api/routing/queues/", api.QueueListView.as_view(), name="routing-queues"),
    path("api/routing/queues/<int:queue_id>/", api.QueueDetailView.as_view(), name="routing-queue"),
]
