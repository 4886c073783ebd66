"""HTTP routes of the customer records: the agents' REST API (contactcenter.core.customers.api)."""

from django.urls import URLPattern, path

from contactcenter.core.customers import api

urlpatterns: list[URLPattern] = [
    path("api/customers/", api.CustomerListView.as_view(), name="customers"),
    path("api/customers/<int:customer_id>/", api.CustomerDetailView.as_view(), name="customer"),
]
