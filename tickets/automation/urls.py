"""HTTP routes of ticket automation (tickets.automation.api), included by the composition root."""

from django.urls import URLPattern, path

from tickets.automation import api

urlpatterns: list[URLPattern] = [
    path("api/automation/templates/", api.TemplateListView.as_view(), name="automation-templates"),
    path("api/automation/templates/preview/", api.TemplatePreviewView.as_view(), name="automation-template-preview"),
    path("api/automation/templates/<int:template_id>/", api.TemplateDetailView.as_view(), name="automation-template"),
    path("api/automation/placeholders/", api.PlaceholdersView.as_view(), name="automation-placeholders"),
    path("api/automation/rules/", api.RuleListView.as_view(), name="automation-rules"),
    path("api/automation/rules/<int:rule_id>/", api.RuleDetailView.as_view(), name="automation-rule"),
    path("api/automation/macros/", api.MacroListView.as_view(), name="automation-macros"),
    path("api/automation/macros/<int:macro_id>/", api.MacroDetailView.as_view(), name="automation-macro"),
    path("api/tickets/<int:ticket_id>/apply-macro/", api.ApplyMacroView.as_view(), name="ticket-apply-macro"),
    path("api/tickets/<int:ticket_id>/automation-log/", api.TicketAutomationLogView.as_view(), name="ticket-automation-log"),
    path("api/canned-replies/", api.CannedReplyListView.as_view(), name="canned-replies"),
    path("api/canned-replies/<int:reply_id>/", api.CannedReplyDetailView.as_view(), name="canned-reply"),
]
