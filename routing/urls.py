"""HTTP routes of routing: the routing configuration API (queues, source rules) (routing.api)."""

from django.urls import URLPattern, path

from routing import api

urlpatterns: list[URLPattern] = [
    path("api/routing/queues/", api.QueueListView.as_view(), name="routing-queues"),
    path("api/routing/queues/<int:queue_id>/", api.QueueDetailView.as_view(), name="routing-queue"),
    path("api/routing/source-rules/", api.SourceRuleListView.as_view(), name="routing-source-rules"),
    path("api/routing/source-rules/<int:rule_id>/", api.SourceRuleDetailView.as_view(), name="routing-source-rule"),
]
