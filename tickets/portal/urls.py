"""Routes of the customer portal (/portal/...) and the public web forms (/support/...)."""

from django.urls import path

from tickets.portal import views

app_name = "tickets-portal"

urlpatterns = [
    path("portal/", views.sign_in, name="sign-in"),
    path("portal/sign-in/<str:token>/", views.redeem, name="redeem"),
    path("portal/sign-out/", views.sign_out, name="sign-out"),
    path("portal/tickets/", views.ticket_list, name="tickets"),
    path("portal/tickets/new/", views.new_ticket, name="new-ticket"),
    path("portal/tickets/<str:number>/", views.ticket_detail, name="ticket"),
    path("portal/tickets/<str:number>/reply/", views.reply, name="reply"),
    path("portal/tickets/<str:number>/reopen/", views.reopen, name="reopen"),
    path("portal/tickets/<str:number>/urge/", views.urge, name="urge"),
    path("portal/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("portal/help/", views.help_search, name="help"),
    path("portal/help/<int:article_id>/", views.help_article, name="help-article"),
    path("support/hints", views.hints, name="hints"),
    path("support/<slug:slug>/", views.webform, name="webform"),
    path("support/<slug:slug>/thanks/", views.webform_thanks, name="webform-thanks"),
]
