"""Admin for team mailboxes (passwords write-only), the message log and the outbox (read-only, with retry)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.mail import inbound
from tickets.mail.models import Mailbox, MailMessage, OutboundMail

_SECRETS = ("imap_password", "smtp_password")


class MailboxForm(forms.ModelForm[Mailbox]):
    """Passwords are never sent back to the browser; left empty on a change, the stored one stays."""

    imap_password = forms.CharField(label=_("IMAP password"), required=False, widget=forms.PasswordInput(render_value=False))
    smtp_password = forms.CharField(label=_("SMTP password"), required=False, widget=forms.PasswordInput(render_value=False))

    class Meta:
        model = Mailbox
        fields = (
            "team",
            "address",
            "display_name",
            "is_active",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_user",
            "imap_password",
            "imap_folder",
            "poll_interval_s",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_user",
            "smtp_password",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk:
            for name in _SECRETS:
                if not cleaned.get(name):
                    cleaned[name] = getattr(self.instance, name)
        return cleaned


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
    form = MailboxForm
    list_display = ("address", "team", "display_name", "is_active", "imap_host", "smtp_host", "last_polled_at", "has_error")
    list_filter = ("is_active", "team")
    search_fields = ("address", "display_name")
    readonly_fields = ("uid_validity", "last_uid", "last_polled_at", "last_error")
    fieldsets = (
        (None, {"fields": ("team", "address", "display_name", "is_active")}),
        (
            _("Incoming (IMAP)"),
            {"fields": ("imap_host", "imap_port", "imap_security", "imap_user", "imap_password", "imap_folder", "poll_interval_s")},
        ),
        (_("Outgoing (SMTP)"), {"fields": ("smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_password")}),
        (_("State"), {"fields": ("uid_validity", "last_uid", "last_polled_at", "last_error")}),
    )

    actions = ("fetch_now",)

    @admin.display(boolean=True, description=_("error"))
    def has_error(self, mailbox: Mailbox) -> bool:
        return bool(mailbox.last_error)

    @admin.action(description=_("Fetch now (tests the IMAP settings)"))
    def fetch_now(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        for mailbox in queryset.filter(is_active=True):
            result = inbound.fetch_mailbox(mailbox=mailbox, now=timezone.now())
            if result is None:
                self.message_user(request, _("%(address)s is being fetched right now.") % {"address": mailbox.address}, messages.INFO)
            elif result.error:
                message = _("%(address)s: %(error)s") % {"address": mailbox.address, "error": result.error}
                self.message_user(request, message, messages.ERROR)
            else:
                message = _("%(address)s: %(n)d new messages processed.") % {"address": mailbox.address, "n": result.processed}
                self.message_user(request, message, messages.SUCCESS)


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MailMessage)
class MailMessageAdmin(_ReadOnly, admin.ModelAdmin[MailMessage]):
    list_display = ("created_at", "direction", "outcome", "sender", "subject", "ticket", "reason")
    list_filter = ("direction", "outcome", "mailbox")
    search_fields = ("message_id", "sender", "subject")
    list_select_related = ("ticket",)


@admin.register(OutboundMail)
class OutboundMailAdmin(_ReadOnly, admin.ModelAdmin[OutboundMail]):
    list_display = ("created_at", "ticket", "to_address", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("status", "mailbox")
    search_fields = ("to_address", "message_id")
    list_select_related = ("ticket",)
    actions = ("retry_now",)

    @admin.action(description=_("Send again now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboundMail]) -> None:
        count = queryset.exclude(status=OutboundMail.Status.SENT).update(
            status=OutboundMail.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        self.message_user(request, _("%(n)d mails will be sent again.") % {"n": count}, messages.SUCCESS)
