from django.contrib import admin

from contactcenter.core.inboxes.models import Channel


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin[Channel]):
    list_display = ["name", "kind", "team", "public_key", "is_active"]
    list_filter = ["kind", "is_active", "team"]
    readonly_fields = ["public_key", "created_at"]
