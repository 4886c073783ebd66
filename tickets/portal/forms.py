"""Forms of the portal and the web form: what a customer may type, with field errors in their language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from contactcenter.core.errors import InvalidInput
from contactcenter.core.staff.models import Team
from tickets.api.uploads import checked_upload
from tickets.services import AttachmentUpload

MAX_DESCRIPTION = 10_000
MAX_REPLY = 10_000


class _AttachmentMixin(forms.Form):
    attachment = forms.FileField(label=_("Attachment (optional)"), required=False)

    def clean_attachment(self) -> AttachmentUpload | None:
        upload = self.cleaned_data.get("attachment")
        if not isinstance(upload, UploadedFile):
            return None
        try:
            return checked_upload(upload)
        except InvalidInput as error:
            raise forms.ValidationError(str(error.message)) from error

    def uploads(self) -> list[AttachmentUpload]:
        upload = self.cleaned_data.get("attachment")
        return [upload] if isinstance(upload, AttachmentUpload) else []


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=300)


class SubjectAndDescription(forms.Form):
    subject = forms.CharField(
        label=_("Subject"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off", "data-hints": "subject"})
    )
    description = forms.CharField(label=_("Describe your request"), max_length=MAX_DESCRIPTION, widget=forms.Textarea(attrs={"rows": 6}))


class NewTicketForm(_AttachmentMixin, SubjectAndDescription):
    """The portal's new ticket: the customer is known; a team to pick when more than one takes requests."""

    team = forms.ModelChoiceField(label=_("Topic"), queryset=Team.objects.none(), empty_label=None)

    field_order = ["team", "subject", "description", "attachment"]

    def __init__(self, *args: Any, teams: list[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["team"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Team.objects.filter(pk__in=[t.pk for t in teams]).order_by("name")
        if len(teams) == 1:
            field.initial = teams[0].pk
            field.widget = forms.HiddenInput()


class WebForm(_AttachmentMixin, SubjectAndDescription):
    """The public web form of one team. ``website`` is a honeypot: hidden from people, filled by bots."""

    name = forms.CharField(label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    field_order = ["name", "email", "subject", "description", "attachment", "website"]

    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class ReplyForm(_AttachmentMixin, forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=MAX_REPLY, widget=forms.Textarea(attrs={"rows": 4}))
