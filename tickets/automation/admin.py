"""Admin for rules, templates, macros, canned replies and webhooks: the same checks as the API; the log and outbox read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contactcenter.core.errors import InvalidInput
from tickets.automation import actions, conditions, engine, rendering
from tickets.automation.models import CannedReply, Macro, Rule, RuleRun, Template, Webhook, WebhookDelivery


def _message(error: InvalidInput) -> str:
    fields = error.details.get("fields")
    return f"{error.message} {fields}" if fields else str(error.message)


class TemplateForm(forms.ModelForm[Template]):
    class Meta:
        model = Template
        fields = ("name", "kind", "language", "subject", "body", "is_html", "is_active")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        html = bool(data.get("is_html")) and data.get("kind") == Template.Kind.EMAIL
        for name in ("subject", "body"):
            found = rendering.problems(data.get(name) or "", html=html and name == "body")
            if found:
                self.add_error(name, "; ".join(f"{p.code}: {p.detail}" for p in found))
        return data


class RuleForm(forms.ModelForm[Rule]):
    class Meta:
        model = Rule
        fields = ("name", "is_active", "position", "trigger", "events", "conditions", "actions", "period_hours")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            if data.get("trigger") == Rule.Trigger.EVENT:
                events = data.get("events") or []
                if not isinstance(events, list) or not events or any(e not in engine.RULE_EVENTS for e in events):
                    raise ValidationError({"events": _("A list of: %(events)s") % {"events": ", ".join(engine.RULE_EVENTS)}})
            data["conditions"] = conditions.clean(data.get("conditions"))
            data["actions"] = actions.clean(data.get("actions"), allowed=actions.RULE_TYPES)
        except InvalidInput as error:
            raise ValidationError(_message(error)) from error
        return data


class MacroForm(forms.ModelForm[Macro]):
    class Meta:
        model = Macro
        fields = ("name", "owner", "actions", "is_active")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            data["actions"] = actions.clean(data.get("actions"), allowed=actions.MACRO_TYPES)
        except InvalidInput as error:
            raise ValidationError(_message(error)) from error
        return data


class CannedReplyForm(forms.ModelForm[CannedReply]):
    class Meta:
        model = CannedReply
        fields = ("title", "shortcut", "body", "owner", "team")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        found = rendering.problems(data.get("body") or "")
        if found:
            self.add_error("body", "; ".join(f"{p.code}: {p.detail}" for p in found))
        return data


class _Stamped(admin.ModelAdmin[Any]):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        now = timezone.now()
        if not change:
            obj.created_at = now
        obj.updated_at = now
        super().save_model(request, obj, form, change)


@admin.register(Template)
class TemplateAdmin(_Stamped):
    form = TemplateForm
    list_display = ("name", "kind", "language", "is_active", "updated_at")
    list_filter = ("kind", "language", "is_active")
    search_fields = ("name", "subject", "body")


@admin.register(Rule)
class RuleAdmin(_Stamped):
    form = RuleForm
    list_display = ("name", "trigger", "position", "is_active", "updated_at")
    list_filter = ("trigger", "is_active")
    ordering = ("position", "id")


@admin.register(Macro)
class MacroAdmin(_Stamped):
    form = MacroForm
    list_display = ("name", "owner", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)


@admin.register(CannedReply)
class CannedReplyAdmin(_Stamped):
    form = CannedReplyForm
    list_display = ("shortcut", "title", "owner", "team")
    list_filter = ("team",)
    search_fields = ("shortcut", "title", "body")


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin[Webhook]):
    list_display = ("name", "url", "is_active")


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RuleRun)
class RuleRunAdmin(_ReadOnly):
    list_display = ("created_at", "rule_name", "ticket", "trigger", "depth")
    list_filter = ("trigger",)
    search_fields = ("rule_name", "ticket__number")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ReadOnly):
    list_display = ("created_at", "webhook", "ticket_id", "attempts", "delivered_at", "failed_at", "last_error")
    list_filter = ("webhook",)
