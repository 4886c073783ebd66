"""The agents' REST API: attachments up and down, conversation lists and transcript pages.

Session auth with CSRF (the console) — thin views over chat.access, chat.selectors and chat.services.
Errors have one shape, {"code", "message", "details"?} (contactcenter.api_errors).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import selectors, services
from chat.access import access_attachment_for_agent, access_conversation_for_agent
from chat.events import attachment_payload
from chat.models import Attachment, Conversation
from contactcenter.core.errors import ContactCenterError, InvalidInput, NotFound
from contactcenter.core.rest import request_agent

# Room for the multipart envelope around the file before refusing on Content-Length alone.
MULTIPART_OVERHEAD = 64 * 1024
MESSAGES_PAGE_MAX = selectors.REPLAY_PAGE


class FileTooLarge(ContactCenterError):
    code = "too_large"
    http_status = 413
    default_message = "The file is too large."


# ------------------------------------------------------------------ shapes (for the OpenAPI schema)


class ErrorOut(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField(required=False)


class AttachmentOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class AttachmentUpload(serializers.Serializer[Any]):
    file = serializers.FileField()


class SenderOut(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["visitor", "agent", "bot", "system"])
    name = serializers.CharField(required=False)
    agent_id = serializers.IntegerField(required=False)


class MessageOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    conversation_id = serializers.IntegerField()
    seq = serializers.IntegerField()
    client_id = serializers.CharField(allow_null=True)
    sender = SenderOut()
    body = serializers.CharField(allow_blank=True)
    meta = serializers.DictField()
    internal = serializers.BooleanField()
    attachments = AttachmentOut(many=True)
    created_at = serializers.DateTimeField()


class MessagePage(serializers.Serializer[Any]):
    results = MessageOut(many=True)
    more = serializers.BooleanField(help_text="True when messages after the last one returned exist; ask again with its seq.")
    next_after_seq = serializers.IntegerField(allow_null=True)


class NamedRef(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ConversationOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Conversation.Status.choices)
    channel = NamedRef()
    team_id = serializers.IntegerField(allow_null=True)
    customer = NamedRef()
    assignee = NamedRef(allow_null=True)
    language = serializers.CharField()
    last_seq = serializers.IntegerField()
    unread = serializers.IntegerField()
    last_body = serializers.CharField(allow_null=True)
    last_message_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class ConversationList(serializers.Serializer[Any]):
    results = ConversationOut(many=True)


ERRORS = {
    400: OpenApiResponse(ErrorOut, description="Invalid input"),
    403: OpenApiResponse(ErrorOut, description="Not signed in, not an agent, or CSRF failure"),
    404: OpenApiResponse(ErrorOut, description="No such object, or not visible to this agent"),
}


# ----------------------------------------------------------------------------------- helpers


def _too_large() -> FileTooLarge:
    limit = settings.CC_ATTACHMENT_MAX_BYTES
    return FileTooLarge(_("The file is too large (at most %(mb)d MB).") % {"mb": limit // (1024 * 1024)}, max_bytes=limit)


class _AnyAccept(BaseContentNegotiation):
    """A file download answers whatever the browser's Accept says (an <img> asks for image/*)."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


def attachment_file_response(attachment: Attachment, *, cross_origin: bool = False) -> FileResponse:
    """The file, with headers that stop a browser from running it as a page.

    ``cross_origin``: the widget fetches from the host page's origin."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("No such attachment.")) from None
    response = FileResponse(
        handle, content_type=attachment.content_type, as_attachment=not attachment.is_image, filename=attachment.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    if cross_origin:
        response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# ------------------------------------------------------------------------------------- views


class ConversationAttachmentsView(APIView):
    parser_classes = [MultiPartParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before authentication: the CSRF check reads the multipart body, and a huge one would be
        # spooled to a temporary file first.
        try:
            content_length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            content_length = 0
        if content_length > settings.CC_ATTACHMENT_MAX_BYTES + MULTIPART_OVERHEAD:
            raise _too_large()
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="chat_conversation_attachment_upload",
        summary="Upload a file for the agent's next message in this conversation",
        request={"multipart/form-data": AttachmentUpload},
        responses={201: AttachmentOut, 413: OpenApiResponse(ErrorOut, description="File too large"), **ERRORS},
        tags=["chat"],
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        agent = request_agent(request)
        access_conversation_for_agent(agent=agent, conversation_id=conversation_id)
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(_("Send the file as multipart form field 'file'."), field="file")
        if (upload.size or 0) > settings.CC_ATTACHMENT_MAX_BYTES:
            raise _too_large()
        attachment = services.store_attachment(conversation_id=conversation_id, sender=services.Sender.for_agent(agent), upload=upload)
        return Response(attachment_payload(attachment), status=status.HTTP_201_CREATED)


class AttachmentFileView(APIView):
    content_negotiation_class = _AnyAccept
    renderer_classes = [JSONRenderer]  # for errors; the file itself is a FileResponse

    @extend_schema(
        operation_id="chat_attachment_download",
        summary="Download an attachment (images inline, other files as downloads)",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **ERRORS},
        tags=["chat"],
    )
    def get(self, request: Request, attachment_id: int) -> FileResponse:
        agent = request_agent(request)
        attachment = access_attachment_for_agent(agent=agent, attachment_id=attachment_id)
        return attachment_file_response(attachment)


class ConversationListView(APIView):
    @extend_schema(
        operation_id="chat_conversation_list",
        summary="Conversations the agent may see, most recent activity first (at most 200)",
        parameters=[
            OpenApiParameter("status", str, enum=list(Conversation.Status.values), required=False),
            OpenApiParameter("assignee", str, enum=["me", "none"], required=False, description="me: mine; none: unassigned"),
        ],
        responses={200: ConversationList, **ERRORS},
        tags=["chat"],
    )
    def get(self, request: Request) -> Response:
        agent = request_agent(request)
        status_filter = request.query_params.get("status") or None
        if status_filter is not None and status_filter not in Conversation.Status.values:
            raise InvalidInput(_("Unknown status."), field="status", allowed=list(Conversation.Status.values))
        assignee = request.query_params.get("assignee") or None
        if assignee not in (None, "me", "none"):
            raise InvalidInput(_("assignee must be 'me' or 'none'."), field="assignee")
        mine = {None: None, "me": True, "none": False}[assignee]
        results = selectors.agent_conversations(agent=agent, status=status_filter, assigned_to_me=mine)
        return Response({"results": results})


class TransferAgentOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    paused = serializers.BooleanField()
    teams = serializers.ListField(child=serializers.CharField())


class TransferQueueOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    waiting = serializers.IntegerField()


class TransferTargets(serializers.Serializer[Any]):
    agents = TransferAgentOut(many=True)
    queues = TransferQueueOut(many=True)


class TransferTargetsView(APIView):
    @extend_schema(
        operation_id="chat_transfer_targets",
        summary="Agents and chat queues this conversation can be transferred to (the transfer itself is a WebSocket frame)",
        responses={200: TransferTargets, **ERRORS},
        tags=["chat"],
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        agent = request_agent(request)
        access_conversation_for_agent(agent=agent, conversation_id=conversation_id)
        return Response(selectors.transfer_targets(agent=agent))


class ConversationMessagesView(APIView):
    @extend_schema(
        operation_id="chat_conversation_messages",
        summary="A page of the transcript after a seq, internal notes included",
        parameters=[
            OpenApiParameter("after_seq", int, required=False, description="Return messages with a greater seq (default 0)."),
            OpenApiParameter("limit", int, required=False, description=f"Page size, 1-{MESSAGES_PAGE_MAX} (default {MESSAGES_PAGE_MAX})."),
        ],
        responses={200: MessagePage, **ERRORS},
        tags=["chat"],
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        agent = request_agent(request)
        after_seq = _int_param(request, "after_seq", default=0, minimum=0, maximum=2**62)
        limit = _int_param(request, "limit", default=MESSAGES_PAGE_MAX, minimum=1, maximum=MESSAGES_PAGE_MAX)
        access_conversation_for_agent(agent=agent, conversation_id=conversation_id)
        # One extra row tells whether another page exists.
        rows = selectors.messages_after(conversation_id=conversation_id, after_seq=after_seq, include_internal=True, limit=limit + 1)
        page, more = rows[:limit], len(rows) > limit
        return Response({"results": page, "more": more, "next_after_seq": page[-1]["seq"] if more else None})


def _int_param(request: Request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if not minimum <= value <= maximum:
        raise InvalidInput(
            _("%(name)s must be an integer from %(min)d to %(max)d.") % {"name": name, "min": minimum, "max": maximum}, field=name
        )
    return value
