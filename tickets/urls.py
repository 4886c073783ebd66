"""HTTP routes of the ticket desk: its REST API (tickets.api)."""

from django.urls import URLPattern, path

from tickets.api import desk, views

urlpatterns: list[URLPattern] = [
    path("api/tickets/", views.TicketListView.as_view(), name="tickets"),
    path("api/tickets/bulk/", views.TicketBulkView.as_view(), name="tickets-bulk"),
    path("api/tickets/desk/", desk.DeskView.as_view(), name="tickets-desk"),
    path("api/tickets/ids/", desk.TicketIdsView.as_view(), name="tickets-ids"),
    path("api/tickets/views/", desk.SavedViewListView.as_view(), name="tickets-views"),
    path("api/tickets/views/<int:view_id>/", desk.SavedViewDetailView.as_view(), name="tickets-view"),
    path("api/tickets/follow-ups/", desk.MyFollowUpsView.as_view(), name="tickets-follow-ups"),
    path("api/tickets/follow-ups/<int:follow_up_id>/", desk.FollowUpView.as_view(), name="tickets-follow-up"),
    path("api/tickets/<int:ticket_id>/follow-ups/", desk.TicketFollowUpsView.as_view(), name="ticket-follow-ups"),
    path("api/tickets/by-number/<str:number>/", desk.TicketByNumberView.as_view(), name="ticket-by-number"),
    path("api/tickets/<int:ticket_id>/", views.TicketDetailView.as_view(), name="ticket"),
    path("api/tickets/<int:ticket_id>/timeline/", views.TicketTimelineView.as_view(), name="ticket-timeline"),
    path("api/tickets/<int:ticket_id>/replies/", views.TicketReplyView.as_view(), name="ticket-replies"),
    path("api/tickets/<int:ticket_id>/notes/", views.TicketNoteView.as_view(), name="ticket-notes"),
    path("api/tickets/<int:ticket_id>/attachments/", views.TicketAttachmentView.as_view(), name="ticket-attachments"),
    path(
        "api/tickets/<int:ticket_id>/attachments/<int:attachment_id>/", views.TicketAttachmentFileView.as_view(), name="ticket-attachment"
    ),
    path("api/tickets/<int:ticket_id>/assign/", views.TicketAssignView.as_view(), name="ticket-assign"),
    path("api/tickets/<int:ticket_id>/grab/", views.TicketGrabView.as_view(), name="ticket-grab"),
    path("api/tickets/<int:ticket_id>/dispatch/", views.TicketDispatchView.as_view(), name="ticket-dispatch"),
    path("api/tickets/<int:ticket_id>/redispatch/", views.TicketRedispatchView.as_view(), name="ticket-redispatch"),
    path("api/tickets/<int:ticket_id>/urge/", views.TicketUrgeView.as_view(), name="ticket-urge"),
    path("api/tickets/<int:ticket_id>/solve/", views.TicketSolveView.as_view(), name="ticket-solve"),
    path("api/tickets/<int:ticket_id>/close/", views.TicketCloseView.as_view(), name="ticket-close"),
    path("api/tickets/<int:ticket_id>/reopen/", views.TicketReopenView.as_view(), name="ticket-reopen"),
    path("api/tickets/<int:ticket_id>/merge/", views.TicketMergeView.as_view(), name="ticket-merge"),
    path("api/tickets/<int:ticket_id>/links/", views.TicketLinksView.as_view(), name="ticket-links"),
    path("api/tickets/<int:ticket_id>/links/<int:link_id>/", views.TicketLinkView.as_view(), name="ticket-link"),
    path("api/ticket-types/", views.TicketTypeListView.as_view(), name="ticket-types"),
    path("api/customers/<int:customer_id>/tickets/", views.CustomerTicketsView.as_view(), name="customer-tickets"),
]
