from django.contrib import admin

from chat.models import Attachment, Conversation, Message


class MessageInline(admin.TabularInline[Message, Conversation]):
    model = Message
    extra = 0
    fields = ["seq", "sender_kind", "sender_agent", "body", "internal", "created_at"]
    readonly_fields = ["seq", "sender_kind", "sender_agent", "body", "internal", "created_at"]
    ordering = ["seq"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: object, obj: Conversation | None = None) -> bool:
        # Messages are written through services (seq, events); the admin only reads them.
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin[Conversation]):
    list_display = ["id", "customer", "channel", "team", "assignee", "status", "language", "last_message_at"]
    list_filter = ["status", "channel", "team", "language"]
    search_fields = ["id", "customer__name", "customer__email", "messages__body"]
    raw_id_fields = ["customer", "assignee"]
    readonly_fields = ["last_seq", "visitor_last_read_seq", "agent_last_read_seq", "unread_for_agent", "created_at", "updated_at"]
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    list_display = ["conversation", "seq", "sender_kind", "sender_agent", "internal", "created_at"]
    list_filter = ["sender_kind", "internal"]
    search_fields = ["body"]
    raw_id_fields = ["conversation", "sender_agent"]
    readonly_fields = ["conversation", "seq", "client_id", "sender_kind", "sender_agent", "created_at"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin[Attachment]):
    list_display = ["filename", "content_type", "size", "conversation", "uploaded_by_kind", "created_at"]
    raw_id_fields = ["conversation", "message", "uploaded_by_agent"]
