"""HTTP routes of chat: the agents' REST API (chat.api)."""

from django.urls import URLPattern, path

from chat import api

urlpatterns: list[URLPattern] = [
    path("api/chat/conversations/", api.ConversationListView.as_view(), name="chat-conversations"),
    path(
        "api/chat/conversations/<int:conversation_id>/messages/", api.ConversationMessagesView.as_view(), name="chat-conversation-messages"
    ),
    path(
        "api/chat/conversations/<int:conversation_id>/attachments",
        api.ConversationAttachmentsView.as_view(),
        name="chat-conversation-attachments",
    ),
    path(
        "api/chat/conversations/<int:conversation_id>/transfer-targets",
        api.TransferTargetsView.as_view(),
        name="chat-conversation-transfer-targets",
    ),
    path("api/chat/attachments/<int:attachment_id>", api.AttachmentFileView.as_view(), name="chat-attachment-file"),
]
