"""The visitor's HTTP API: upload and download attachments with the widget's visitor token.

Requests come from pages on other origins. They carry the visitor token in an Authorization
header (never a cookie), so they are CORS requests with a preflight: the page's Origin must be one
of the channel's allowed origins, and it is echoed back exactly (never ``*``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from chat import services
from chat.access import access_attachment_for_visitor
from chat.api import attachment_file_response
from chat.events import attachment_payload
from chat.visitors import VisitorIdentity, read_token
from contactcenter.core.customers.models import Customer, CustomerIdentity
from contactcenter.core.customers.services import customer_for_visitor
from contactcenter.core.errors import ContactCenterError, Forbidden, InvalidInput, NotFound, Unauthenticated
from contactcenter.core.inboxes.models import Channel
from contactcenter.core.inboxes.selectors import active_channel_by_key

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type"
PREFLIGHT_MAX_AGE = 600
# Room for the multipart envelope around the file before refusing on Content-Length alone.
MULTIPART_OVERHEAD = 64 * 1024


class FileTooLarge(ContactCenterError):
    code = "too_large"
    http_status = 413
    default_message = "The file is too large."


class MethodNotAllowed(ContactCenterError):
    code = "method_not_allowed"
    http_status = 405
    default_message = "This method is not allowed here."


def _error_response(error: ContactCenterError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=error.http_status, json_dumps_params={"ensure_ascii": False})


def _channel_and_origin(request: HttpRequest) -> tuple[Channel, str]:
    channel = active_channel_by_key(public_key=request.GET.get("channel", "")[:64])
    origin = request.headers.get("Origin", "")
    if not channel.allows_origin(origin or None):
        raise Forbidden(_("This website may not use this chat channel."), reason="origin_not_allowed")
    return channel, origin


def _with_cors(response: HttpResponseBase, origin: str) -> HttpResponseBase:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Expose-Headers"] = "Content-Disposition, Content-Length, Content-Type"
    response["Vary"] = "Origin"
    return response


def _visitor(request: HttpRequest, channel: Channel) -> VisitorIdentity:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    identity = read_token(token.strip(), channel_id=channel.pk) if scheme.lower() == "bearer" else None
    if identity is None:
        raise Unauthenticated(_("A valid visitor token is required."), reason="visitor_token")
    return identity


def _known_customer(identity: VisitorIdentity) -> Customer:
    """The visitor's customer without creating one: a download needs an existing conversation."""
    found = (
        CustomerIdentity.objects.filter(kind=CustomerIdentity.Kind.VISITOR, value=identity.visitor_id).select_related("customer").first()
    )
    if found is None:
        raise NotFound(_("No such attachment."))
    return found.customer


def cors_endpoint(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Origin check, preflight answer, and one JSON error shape (with CORS headers the page can read)."""

    @csrf_exempt  # Authenticated by the Authorization header, never by cookies.
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        try:
            channel, origin = _channel_and_origin(request)
        except ContactCenterError as error:
            # No CORS headers: a page that may not use the channel cannot read anything.
            return _error_response(error)
        if request.method == "OPTIONS":
            preflight = HttpResponse(status=204)
            preflight["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            preflight["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            preflight["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
            return _with_cors(preflight, origin)
        response: HttpResponseBase
        try:
            response = view(request, channel, origin, **kwargs)
        except ContactCenterError as error:
            response = _error_response(error)
        return _with_cors(response, origin)

    return wrapper


@cors_endpoint
def attachments(request: HttpRequest, channel: Channel, origin: str) -> HttpResponse:
    """POST multipart ``file``: keep it for the visitor's next message; reply with its id."""
    if request.method != "POST":
        raise MethodNotAllowed()
    identity = _visitor(request, channel)
    limit = settings.CC_ATTACHMENT_MAX_BYTES
    too_large = FileTooLarge(_("The file is too large (at most %(mb)d MB).") % {"mb": limit // (1024 * 1024)}, max_bytes=limit)
    # Refuse before Django reads a huge body into a temporary file.
    try:
        content_length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        content_length = 0
    if content_length > limit + MULTIPART_OVERHEAD:
        raise too_large
    upload = request.FILES.get("file")
    if upload is None:
        raise InvalidInput(_("Send the file as multipart form field 'file'."), field="file")
    if (upload.size or 0) > limit:
        raise too_large
    customer = customer_for_visitor(visitor_id=identity.visitor_id)
    # A file can be the first thing a visitor sends.
    conversation, _created = services.open_visitor_conversation(
        channel=channel,
        customer=customer,
        language=request.headers.get("Accept-Language", "en")[:20],
        source_url=request.headers.get("Referer", "")[:2000],
    )
    attachment = services.store_attachment(conversation_id=conversation.pk, sender=services.Sender.visitor(customer.pk), upload=upload)
    return JsonResponse(attachment_payload(attachment), status=201, json_dumps_params={"ensure_ascii": False})


@cors_endpoint
def attachment_file(request: HttpRequest, channel: Channel, origin: str, attachment_id: int) -> HttpResponseBase:
    """GET one attachment of the visitor's own conversations."""
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed()
    identity = _visitor(request, channel)
    customer = _known_customer(identity)
    attachment = access_attachment_for_visitor(customer_id=customer.pk, channel_id=channel.pk, attachment_id=attachment_id)
    return attachment_file_response(attachment, cross_origin=True)
