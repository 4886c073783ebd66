"""What the ticket desk API takes (strict: types, sizes, no unknown fields) and what it answers."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contactcenter.core.customers.models import Customer
from contactcenter.core.rest import ID_MAX, Flag, Related, Text
from contactcenter.core.rest import Id as Id  # re-exported: tickets.api.desk and others build on these
from contactcenter.core.rest import StrictInput as StrictInput
from contactcenter.core.staff.models import AgentProfile, Team
from tickets.models import Priority, Stage, Status, TicketAttachment, TicketLink, TicketType, TimelineEntry
from tickets.selectors import SORTS

PAGE_SIZE_MAX = 100
PAGE_SIZE_DEFAULT = 25
BULK_MAX = 500
BODY_MAX_CHARS = 100_000
SUBJECT_MAX_CHARS = 200
TAGS_MAX = 50
TAG_MAX_CHARS = 64
IDS_MAX = 100
SEARCH_MAX_CHARS = 200


# --------------------------------------------------------------------------------- strict input


def _related(queryset: Any, **kwargs: Any) -> serializers.PrimaryKeyRelatedField[Any]:
    return Related(queryset=queryset, **kwargs)


def _id_param(**kwargs: Any) -> serializers.IntegerField:
    """An id in the query string (text there, so converted), within the ids a table can have."""
    return serializers.IntegerField(min_value=1, max_value=ID_MAX, **kwargs)


class TicketListQuery(StrictInput):
    q = Text(
        max_length=SEARCH_MAX_CHARS,
        required=False,
        allow_blank=True,
        help_text="Full text (subject, description, public replies; Chinese and English) or a ticket number.",
    )
    status = serializers.ListField(child=serializers.ChoiceField(choices=Status.choices), required=False, max_length=3)
    stage = serializers.ListField(child=_id_param(), required=False, max_length=IDS_MAX)
    team = serializers.ListField(child=_id_param(), required=False, max_length=IDS_MAX)
    assignee = serializers.ListField(child=_id_param(), required=False, max_length=IDS_MAX)
    unassigned = serializers.BooleanField(required=False, default=False, help_text="Only the unassigned pool.")
    priority = serializers.ListField(child=serializers.ChoiceField(choices=Priority.choices), required=False, max_length=4)
    type = serializers.ListField(child=_id_param(), required=False, max_length=IDS_MAX)
    tag = Text(max_length=TAG_MAX_CHARS, required=False, allow_blank=True)
    customer = _id_param(required=False)
    created_after = serializers.DateTimeField(required=False, help_text="ISO 8601; created at or after.")
    created_before = serializers.DateTimeField(required=False, help_text="ISO 8601; created before.")
    urged = serializers.BooleanField(required=False, default=False, help_text="Only tickets urged at least once.")
    overdue = serializers.BooleanField(required=False, default=False, help_text="Only open tickets past their due date.")
    include_merged = serializers.BooleanField(required=False, default=False)
    sort = serializers.ChoiceField(choices=sorted(SORTS), default="-updated")
    page = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=PAGE_SIZE_MAX, default=PAGE_SIZE_DEFAULT)


class TicketPageQuery(StrictInput):
    sort = serializers.ChoiceField(choices=sorted(SORTS), default="-updated")
    page = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=PAGE_SIZE_MAX, default=PAGE_SIZE_DEFAULT)


def _tags() -> serializers.ListField:
    return serializers.ListField(child=Text(max_length=TAG_MAX_CHARS), max_length=TAGS_MAX, required=False)


class TicketCreateIn(StrictInput):
    team = _related(Team.objects.all())
    subject = Text(max_length=SUBJECT_MAX_CHARS)
    description = Text(max_length=BODY_MAX_CHARS, required=False, allow_blank=True, default="")
    type = _related(TicketType.objects.filter(is_active=True), required=False, allow_null=True)
    category = Text(max_length=100, required=False, allow_blank=True, default="")
    tags = _tags()
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    customer = _related(Customer.objects.all(), required=False, allow_null=True)
    custom_fields = serializers.DictField(required=False, help_text="Values for the type's field template.")
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    assignee = _related(AgentProfile.objects.all(), required=False, allow_null=True, help_text="Give it to this agent at once.")
    dispatch = Flag(required=False, default=False, help_text="Route it through the team's ticket queue (when no assignee is given).")


class TicketUpdateIn(StrictInput):
    subject = Text(max_length=SUBJECT_MAX_CHARS, required=False)
    description = Text(max_length=BODY_MAX_CHARS, required=False, allow_blank=True)
    type = _related(TicketType.objects.filter(is_active=True), required=False, allow_null=True)
    category = Text(max_length=100, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    stage = _related(Stage.objects.all(), required=False, help_text="A stage of the ticket's team; a closing one solves it.")
    team = _related(Team.objects.all(), required=False)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    tags = serializers.ListField(child=Text(max_length=TAG_MAX_CHARS), max_length=TAGS_MAX, required=False, help_text="The whole set.")
    custom_fields = serializers.DictField(required=False, help_text="Changed values only (the others stay).")
    collaborators = serializers.ListField(child=_related(AgentProfile.objects.all()), max_length=IDS_MAX, required=False)
    followers = serializers.ListField(child=_related(AgentProfile.objects.all()), max_length=IDS_MAX, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(_("Nothing to change."))
        return attrs


class TicketBodyIn(StrictInput):
    body = Text(max_length=BODY_MAX_CHARS)


class TicketAttachmentIn(StrictInput):
    file = serializers.FileField(help_text="PNG, JPEG, GIF, WebP, PDF, plain text, ZIP, Word or Excel (checked by content).")
    body = Text(max_length=BODY_MAX_CHARS, required=False, allow_blank=True, help_text="Text of the entry; default: the file name.")
    visibility = serializers.ChoiceField(
        choices=["internal", "public"],
        default="internal",
        help_text="internal: an internal note (default); public: a reply the customer sees.",
    )


class TicketAssignIn(StrictInput):
    agent = _related(AgentProfile.objects.all(), allow_null=True, help_text="null: back to the unassigned pool.")


class TicketRedispatchIn(StrictInput):
    reason = Text(max_length=2000)
    to_agent = _related(AgentProfile.objects.all(), required=False, allow_null=True, help_text="Default: back through routing.")


class TicketUrgeIn(StrictInput):
    note = Text(max_length=500, required=False, allow_blank=True, default="")


class TicketMergeIn(StrictInput):
    into = Id(help_text="The ticket that survives.")


class TicketLinkIn(StrictInput):
    to = Id(help_text="The other ticket.")
    kind = serializers.ChoiceField(choices=TicketLink.Kind.choices)


class TicketNoBody(StrictInput):
    pass


class TicketBulkIn(StrictInput):
    ids = serializers.ListField(child=Id(), min_length=1, max_length=BULK_MAX)
    assignee = _related(AgentProfile.objects.all(), required=False, allow_null=True, help_text="null: unassign.")
    stage = _related(Stage.objects.all(), required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    add_tags = _tags()
    remove_tags = _tags()
    status = serializers.ChoiceField(choices=Status.choices, required=False, help_text="solved, closed or open (reopen).")
    merge_into = Id(required=False, help_text="Merge all the others into this one (alone: no other change with it).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        changes = set(attrs) - {"ids"}
        if not changes:
            raise serializers.ValidationError(_("Nothing to change."))
        if "merge_into" in changes and len(changes) > 1:
            raise serializers.ValidationError({"merge_into": [_("A merge goes alone.")]})
        return attrs


# ----------------------------------------------------------------------------- shapes (output)


class TicketErrorOut(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField(required=False)


class TicketTeamRef(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TicketAgentRef(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class TicketTypeRef(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    colour = serializers.CharField()


class TicketStageRef(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    closing = serializers.BooleanField()


class TicketCustomerRef(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TicketOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    type = TicketTypeRef(allow_null=True)
    category = serializers.CharField()
    tags = serializers.SerializerMethodField()
    stage = TicketStageRef()
    team = TicketTeamRef()
    assignee = TicketAgentRef(allow_null=True)
    customer = TicketCustomerRef(allow_null=True)
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source
    due_at = serializers.DateTimeField(allow_null=True)
    urge_count = serializers.IntegerField()
    merged_into = serializers.IntegerField(source="merged_into_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    solved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, ticket: Any) -> list[str]:
        # From the prefetch (ticket_list, ticket_detail): no query per ticket.
        return sorted(tag.name for tag in ticket.tags.all())


class TicketPageOut(serializers.Serializer[Any]):
    results = TicketOut(many=True)
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.CharField(allow_null=True, help_text="URL of the next page.")
    previous = serializers.CharField(allow_null=True, help_text="URL of the previous page.")


class TicketAttachmentOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="Where an agent downloads it (GET, the same sign-in or token).")

    def get_url(self, attachment: TicketAttachment) -> str:
        path = reverse("ticket-attachment", kwargs={"ticket_id": attachment.ticket_id, "attachment_id": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class TicketDetailOut(TicketOut):
    description = serializers.CharField()
    custom_fields = serializers.DictField()
    collaborators = TicketAgentRef(many=True)
    followers = TicketAgentRef(many=True)
    conversation_id = serializers.IntegerField(allow_null=True)
    last_urged_at = serializers.DateTimeField(allow_null=True)
    attachments = TicketAttachmentOut(many=True, help_text="Every file on the timeline (internal notes' too), oldest first.")


class TicketAuthorOut(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["agent", "customer", "system"])
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


class TicketTimelineEntryOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=TimelineEntry.Kind.choices)
    body = serializers.CharField()
    field = serializers.CharField()
    old_value = serializers.JSONField(allow_null=True)
    new_value = serializers.JSONField(allow_null=True)
    event = serializers.CharField()
    author = serializers.SerializerMethodField()
    original_ticket_id = serializers.IntegerField(allow_null=True)
    attachments = TicketAttachmentOut(many=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(TicketAuthorOut)
    def get_author(self, entry: TimelineEntry) -> dict[str, Any]:
        if entry.author_agent is not None:
            return {"kind": "agent", "id": entry.author_agent.pk, "name": entry.author_agent.display_name}
        if entry.author_customer is not None:
            return {"kind": "customer", "id": entry.author_customer.pk, "name": entry.author_customer.name}
        return {"kind": "system", "id": None, "name": ""}


class TicketTimelineOut(serializers.Serializer[Any]):
    results = TicketTimelineEntryOut(many=True)


class TicketLinkOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=TicketLink.Kind.choices)
    from_ticket = serializers.IntegerField(source="from_ticket_id")
    from_number = serializers.CharField(source="from_ticket.number")
    to_ticket = serializers.IntegerField(source="to_ticket_id")
    to_number = serializers.CharField(source="to_ticket.number")
    created_at = serializers.DateTimeField()


class TicketLinkListOut(serializers.Serializer[Any]):
    results = TicketLinkOut(many=True)


class TicketBulkOut(serializers.Serializer[Any]):
    ticket_ids = serializers.ListField(child=serializers.IntegerField())
    changed = serializers.IntegerField(help_text="Field changes written to the timelines.")


class TicketTypeOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    colour = serializers.CharField()
    field_schema = serializers.JSONField()
    required_skills = serializers.DictField(child=serializers.IntegerField())


class TicketTypeListOut(serializers.Serializer[Any]):
    results = TicketTypeOut(many=True)
