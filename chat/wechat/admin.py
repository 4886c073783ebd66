"""Admin for Official Accounts (AppSecret and EncodingAESKey write-only), received messages and the outbox (read-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.wechat import crypto
from chat.wechat.models import InboundMessage, OutboundMessage, WeChatAccount

_SECRETS = ("appsecret", "encoding_aes_key")


class WeChatAccountForm(forms.ModelForm[WeChatAccount]):
    """Secrets are never sent back to the browser; left empty on a change, the stored one stays."""

    appsecret = forms.CharField(label=_("AppSecret"), required=False, widget=forms.PasswordInput(render_value=False))
    encoding_aes_key = forms.CharField(
        label=_("EncodingAESKey"),
        required=False,
        max_length=43,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("43 characters; needed for the compatible and safe modes."),
    )

    class Meta:
        model = WeChatAccount
        fields = ("channel", "appid", "appsecret", "token", "encoding_aes_key", "mode", "language")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk:
            for name in _SECRETS:
                if not cleaned.get(name):
                    cleaned[name] = getattr(self.instance, name)
        key = cleaned.get("encoding_aes_key") or ""
        if key:
            try:
                crypto.aes_key(key)
            except crypto.CryptoError:
                self.add_error(None, ValidationError(_("The EncodingAESKey must be the 43 characters the Official Account admin shows.")))
        if cleaned.get("mode") != WeChatAccount.Mode.PLAIN and not key:
            self.add_error(None, ValidationError(_("The compatible and safe modes need the EncodingAESKey.")))
        return cleaned


@admin.register(WeChatAccount)
class WeChatAccountAdmin(admin.ModelAdmin[WeChatAccount]):
    form = WeChatAccountForm
    list_display = ("appid", "channel", "mode", "language", "callback_path")
    search_fields = ("appid", "channel__name")
    list_select_related = ("channel",)

    @admin.display(description=_("server URL (path)"))
    def callback_path(self, account: WeChatAccount) -> str:
        return f"/wechat/{account.channel.public_key}/"


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(_ReadOnly, admin.ModelAdmin[InboundMessage]):
    list_display = ("received_at", "account", "openid", "msg_type", "status", "attempts", "conversation", "last_error")
    list_filter = ("status", "msg_type", "account")
    search_fields = ("openid", "dedupe_key")


@admin.register(OutboundMessage)
class OutboundMessageAdmin(_ReadOnly, admin.ModelAdmin[OutboundMessage]):
    list_display = ("created_at", "account", "openid", "kind", "status", "attempts", "errcode", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("status", "kind", "account")
    search_fields = ("openid", "text")
    actions = ("retry_now",)

    @admin.action(description=_("Send again now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        count = queryset.exclude(status=OutboundMessage.Status.SENT).update(
            status=OutboundMessage.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        self.message_user(request, _("%(n)d messages will be sent again.") % {"n": count}, messages.SUCCESS)
