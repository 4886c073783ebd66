"""The ticket desk's API views: parse, find the acting agent, call a selector or service, shape the answer."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.customers.models import Customer
from contactcenter.core.errors import NotFound
from contactcenter.core.rest import request_agent, validated
from contactcenter.core.staff.models import AgentProfile
from tickets import selectors, services
from tickets.api import schemas, uploads
from tickets.models import Source, TicketType
from tickets.services import UNSET

TAGS = ["tickets"]
_View = TypeVar("_View", bound=Callable[..., Response])
ERRORS = {
    400: OpenApiResponse(schemas.TicketErrorOut, description="Invalid input (details.fields names each field)"),
    403: OpenApiResponse(schemas.TicketErrorOut, description="Not signed in, not an agent, not allowed, or CSRF failure"),
}
NOT_FOUND = {404: OpenApiResponse(schemas.TicketErrorOut, description="No such ticket, or not visible to this agent")}
CONFLICT = {
    409: OpenApiResponse(
        schemas.TicketErrorOut, description="The ticket's state refuses this (already_taken, ticket_closed, merge_refused ...)"
    )
}


# ----------------------------------------------------------------------------------- helpers


def _ticket(request: Request, agent: AgentProfile, ticket_id: int) -> Response:
    return Response(schemas.TicketDetailOut(selectors.ticket_detail(actor=agent, ticket_id=ticket_id), context={"request": request}).data)


def _entry(request: Request, entry: Any) -> Response:
    return Response(schemas.TicketTimelineEntryOut(entry, context={"request": request}).data, status=status.HTTP_201_CREATED)


def _page_url(request: Request, page: int) -> str:
    query = request.query_params.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def _page(request: Request, found: selectors.TicketPage) -> Response:
    return Response(
        {
            "results": schemas.TicketOut(found.tickets, many=True).data,
            "count": found.total,
            "page": found.page,
            "page_size": found.page_size,
            "next": _page_url(request, found.page + 1) if found.has_next else None,
            "previous": _page_url(request, found.page - 1) if found.page > 1 else None,
        }
    )


def _filters(query: dict[str, Any]) -> selectors.TicketFilters:
    return selectors.TicketFilters(
        status=tuple(query.get("status", ())),
        stage_ids=tuple(query.get("stage", ())),
        team_ids=tuple(query.get("team", ())),
        assignee_ids=tuple(query.get("assignee", ())),
        unassigned=query["unassigned"],
        priority=tuple(query.get("priority", ())),
        type_ids=tuple(query.get("type", ())),
        tag=query.get("tag", ""),
        customer_id=query.get("customer"),
        created_after=query.get("created_after"),
        created_before=query.get("created_before"),
        urged=query["urged"],
        overdue=query["overdue"],
        include_merged=query["include_merged"],
        q=query.get("q", ""),
    )


def _no_body(request: Request) -> None:
    validated(schemas.TicketNoBody(data=request.data))


# ------------------------------------------------------------------------------------- views


class TicketListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_list",
        summary="The tickets this agent may see: filters, full-text search (q), sorting and paging (page_size at most 100)",
        parameters=[schemas.TicketListQuery],
        responses={200: schemas.TicketPageOut, **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        agent = request_agent(request)
        query = validated(schemas.TicketListQuery(data=request.query_params))
        found = selectors.ticket_list(
            actor=agent, now=timezone.now(), filters=_filters(query), sort=query["sort"], page=query["page"], page_size=query["page_size"]
        )
        return _page(request, found)

    @extend_schema(
        operation_id="tickets_create",
        summary="Open a ticket in one of this agent's teams (source: api with a token, agent with a session)",
        request=schemas.TicketCreateIn,
        responses={201: schemas.TicketDetailOut, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        agent = request_agent(request)
        data = validated(schemas.TicketCreateIn(data=request.data))
        ticket = services.create_ticket(
            actor=agent,
            team=data["team"],
            subject=data["subject"],
            now=timezone.now(),
            description=data["description"],
            customer=data.get("customer"),
            ticket_type=data.get("type"),
            category=data["category"],
            tags=data.get("tags", ()),
            priority=data["priority"],
            source=Source.API if isinstance(request.auth, Token) else Source.AGENT,
            custom_fields=data.get("custom_fields"),
            due_at=data.get("due_at"),
            assignee=data.get("assignee"),
            dispatch=data["dispatch"],
        )
        response = _ticket(request, agent, ticket.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


class TicketDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="tickets_read", responses={200: schemas.TicketDetailOut, **ERRORS, **NOT_FOUND}, tags=TAGS)
    def get(self, request: Request, ticket_id: int) -> Response:
        return _ticket(request, request_agent(request), ticket_id)

    @extend_schema(
        operation_id="tickets_update",
        summary="Change fields, stage, priority, tags, type or custom fields (each change is audited on the timeline)",
        request=schemas.TicketUpdateIn,
        responses={200: schemas.TicketDetailOut, **ERRORS, **NOT_FOUND, **CONFLICT},
        tags=TAGS,
    )
    def patch(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        selectors.ticket_detail(actor=agent, ticket_id=ticket_id)  # a hidden ticket is 404 before any input is judged
        data = validated(schemas.TicketUpdateIn(data=request.data))
        if "type" in data:
            data["ticket_type"] = data.pop("type")
        services.update_ticket(ticket_id=ticket_id, actor=agent, now=timezone.now(), **{name: data.get(name, UNSET) for name in _UPDATABLE})
        return _ticket(request, agent, ticket_id)


_UPDATABLE = (
    "subject",
    "description",
    "ticket_type",
    "category",
    "priority",
    "stage",
    "team",
    "due_at",
    "tags",
    "custom_fields",
    "collaborators",
    "followers",
)


class TicketTimelineView(APIView):
    @extend_schema(
        operation_id="tickets_timeline",
        summary="The whole history in order: replies, internal notes, field changes (who and when), system entries",
        responses={200: schemas.TicketTimelineOut, **ERRORS, **NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        entries = selectors.ticket_timeline(actor=request_agent(request), ticket_id=ticket_id)
        return Response({"results": schemas.TicketTimelineEntryOut(entries, many=True, context={"request": request}).data})


class TicketReplyView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_reply",
        summary="A public reply: the customer sees it",
        request=schemas.TicketBodyIn,
        responses={201: schemas.TicketTimelineEntryOut, **ERRORS, **NOT_FOUND, **CONFLICT},
        tags=TAGS,
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        selectors.ticket_detail(actor=agent, ticket_id=ticket_id)
        data = validated(schemas.TicketBodyIn(data=request.data))
        entry = services.reply(ticket_id=ticket_id, actor=agent, body=data["body"], now=timezone.now())
        return _entry(request, entry)


class TicketNoteView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_note",
        summary="An internal note: agents only, never shown to the customer",
        request=schemas.TicketBodyIn,
        responses={201: schemas.TicketTimelineEntryOut, **ERRORS, **NOT_FOUND, **CONFLICT},
        tags=TAGS,
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        selectors.ticket_detail(actor=agent, ticket_id=ticket_id)
        data = validated(schemas.TicketBodyIn(data=request.data))
        entry = services.add_note(ticket_id=ticket_id, actor=agent, body=data["body"], now=timezone.now())
        return _entry(request, entry)


class TicketAttachmentView(APIView):
    parser_classes = [MultiPartParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before authentication: the CSRF check reads the multipart body, and a huge one would be spooled to disk first.
        try:
            content_length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            content_length = 0
        if content_length > uploads.max_bytes() + uploads.MULTIPART_OVERHEAD:
            raise uploads.too_large()
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="tickets_attachment_upload",
        summary="Attach a file on a new timeline entry: an internal note (default) or a public reply",
        request={"multipart/form-data": schemas.TicketAttachmentIn},
        responses={
            201: schemas.TicketTimelineEntryOut,
            413: OpenApiResponse(schemas.TicketErrorOut, description="File too large"),
            **ERRORS,
            **NOT_FOUND,
            **CONFLICT,
        },
        tags=TAGS,
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        selectors.ticket_detail(actor=agent, ticket_id=ticket_id)
        form = {key: request.data.get(key) for key in request.data}
        data = validated(schemas.TicketAttachmentIn(data=form))
        upload = uploads.checked_upload(data["file"])
        body = (data.get("body") or "").strip() or upload.filename
        post = services.reply if data["visibility"] == "public" else services.add_note
        entry = post(ticket_id=ticket_id, actor=agent, body=body, now=timezone.now(), attachments=[upload])
        return _entry(request, entry)


class _AnyAccept(BaseContentNegotiation):
    """A download answers whatever the client accepts (a browser asks for */*, a script for image/png): errors stay JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class TicketAttachmentFileView(APIView):
    content_negotiation_class = _AnyAccept
    renderer_classes = [JSONRenderer]  # for errors; the file itself is a FileResponse

    @extend_schema(
        operation_id="tickets_attachment_download",
        summary="Download a file of the ticket (as an attachment, in the type it was stored with; internal notes' files too)",
        responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file"), **ERRORS, **NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, ticket_id: int, attachment_id: int) -> FileResponse:
        attachment = selectors.ticket_attachment(actor=request_agent(request), ticket_id=ticket_id, attachment_id=attachment_id)
        return uploads.file_response(attachment)


class TicketAssignView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_assign",
        summary="Give the ticket to an agent (agents within their teams, supervisors to anyone), or null: back to the pool",
        request=schemas.TicketAssignIn,
        responses={200: schemas.TicketDetailOut, **ERRORS, **NOT_FOUND},
        tags=TAGS,
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        selectors.ticket_detail(actor=agent, ticket_id=ticket_id)
        data = validated(schemas.TicketAssignIn(data=request.data))
        services.assign_ticket(ticket_id=ticket_id, actor=agent, agent=data["agent"], now=timezone.now())
        return _ticket(request, agent, ticket_id)


class TicketGrabView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_grab",
        summary="Take an unassigned ticket of one's team (抢单): the first grab wins, later ones get 409 already_taken",
        request=None,
        responses={200: schemas.TicketDetailOut, **ERRORS, **NOT_FOUND, **CONFLICT},
        tags=TAGS,
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        _no_body(request)
        services.grab_ticket(ticket_id=ticket_id, agent=agent, now=timezone.now())
        return _ticket(request, agent, ticket_id)


class TicketDispatchView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_dispatch",
        summary="Route an unassigned ticket through its team's ticket queue (round-robin, least-load, skills ...)",
        request=None,
        responses={200: schemas.TicketDetailOut, **ERRORS, **NOT_FOUND, **CONFLICT},
        tags=TAGS,
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        _no_body(request)
        services.dispatch_ticket(ticket_id=ticket_id, actor=agent, now=timezone.now())
        return _ticket(request, agent, ticket_id)


class TicketRedispatchView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_redispatch",
        summary="Hand the ticket on (改派) with a reason: to an agent, or back through routing (the assignee or a supervisor)",
        request=schemas.TicketRedispatchIn,
        responses={200: schemas.TicketDetailOut, **ERRORS, **NOT_FOUND, **CONFLICT},
        tags=TAGS,
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        selectors.ticket_detail(actor=agent, ticket_id=ticket_id)
        data = validated(schemas.TicketRedispatchIn(data=request.data))
        services.redispatch_ticket(
            ticket_id=ticket_id, actor=agent, reason=data["reason"], now=timezone.now(), to_agent=data.get("to_agent")
        )
        return _ticket(request, agent, ticket_id)


class TicketUrgeView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_urge",
        summary="Urge the ticket (催单): counted, the assignee is told; once per 10 minutes per person (429 urged_recently)",
        request=schemas.TicketUrgeIn,
        responses={
            200: schemas.TicketDetailOut,
            429: OpenApiResponse(schemas.TicketErrorOut, description="Urged a moment ago"),
            **ERRORS,
            **NOT_FOUND,
            **CONFLICT,
        },
        tags=TAGS,
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        selectors.ticket_detail(actor=agent, ticket_id=ticket_id)
        data = validated(schemas.TicketUrgeIn(data=request.data))
        services.urge_ticket(ticket_id=ticket_id, actor=agent, now=timezone.now(), note=data["note"])
        return _ticket(request, agent, ticket_id)


class _StatusView(APIView):
    parser_classes = [JSONParser]
    move: Any = None

    def post(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        _no_body(request)
        type(self).move(ticket_id=ticket_id, actor=agent, now=timezone.now())
        return _ticket(request, agent, ticket_id)


def _status_schema(name: str, summary: str) -> Callable[[_View], _View]:
    return extend_schema(
        operation_id=f"tickets_{name}",
        summary=summary,
        request=None,
        responses={200: schemas.TicketDetailOut, **ERRORS, **NOT_FOUND, **CONFLICT},
        tags=TAGS,
    )


class TicketSolveView(_StatusView):
    move = services.solve_ticket

    @_status_schema("solve", "Solve: the team's first closing stage; the assignee's routing slot is freed")
    def post(self, request: Request, ticket_id: int) -> Response:
        return super().post(request, ticket_id)


class TicketCloseView(_StatusView):
    move = services.close_ticket

    @_status_schema("close", "Close: the team's last closing stage (solved as well, if it was not)")
    def post(self, request: Request, ticket_id: int) -> Response:
        return super().post(request, ticket_id)


class TicketReopenView(_StatusView):
    move = services.reopen_ticket

    @_status_schema("reopen", "Reopen: the first open stage; the assignee holds it again")
    def post(self, request: Request, ticket_id: int) -> Response:
        return super().post(request, ticket_id)


class TicketMergeView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_merge",
        summary="Merge this ticket into another (timeline, attachments and followers move; this one points to the survivor)",
        request=schemas.TicketMergeIn,
        responses={200: schemas.TicketDetailOut, **ERRORS, **NOT_FOUND, **CONFLICT},
        tags=TAGS,
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        selectors.ticket_detail(actor=agent, ticket_id=ticket_id)
        data = validated(schemas.TicketMergeIn(data=request.data))
        survivor = services.merge_tickets(ticket_ids=[ticket_id], into_id=data["into"], actor=agent, now=timezone.now())
        return _ticket(request, agent, survivor.pk)


class TicketLinksView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_links",
        summary="Links from and to this ticket (only to tickets this agent can see)",
        responses={200: schemas.TicketLinkListOut, **ERRORS, **NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        links = selectors.ticket_links(actor=request_agent(request), ticket_id=ticket_id)
        return Response({"results": schemas.TicketLinkOut(links, many=True).data})

    @extend_schema(
        operation_id="tickets_link_create",
        summary="Link this ticket to another: related, duplicate (this duplicates that) or parent (this is the parent of that)",
        request=schemas.TicketLinkIn,
        responses={201: schemas.TicketLinkOut, **ERRORS, **NOT_FOUND},
        tags=TAGS,
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        selectors.ticket_detail(actor=agent, ticket_id=ticket_id)
        data = validated(schemas.TicketLinkIn(data=request.data))
        link = services.link_tickets(ticket_id=ticket_id, other_id=data["to"], kind=data["kind"], actor=agent, now=timezone.now())
        found = next(found for found in selectors.ticket_links(actor=agent, ticket_id=ticket_id) if found.pk == link.pk)
        return Response(schemas.TicketLinkOut(found).data, status=status.HTTP_201_CREATED)


class TicketLinkView(APIView):
    @extend_schema(operation_id="tickets_link_delete", responses={204: None, **ERRORS, **NOT_FOUND}, tags=TAGS)
    def delete(self, request: Request, ticket_id: int, link_id: int) -> Response:
        agent = request_agent(request)
        if not any(link.pk == link_id for link in selectors.ticket_links(actor=agent, ticket_id=ticket_id)):
            raise NotFound()
        services.unlink_tickets(link_id=link_id, actor=agent, now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)


class TicketBulkView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_bulk",
        summary="The same change on up to 500 tickets, all or nothing (one hidden ticket: 404 and nothing changes)",
        request=schemas.TicketBulkIn,
        responses={200: schemas.TicketBulkOut, **ERRORS, **NOT_FOUND, **CONFLICT},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        agent = request_agent(request)
        data = validated(schemas.TicketBulkIn(data=request.data))
        result = services.bulk_update(
            ticket_ids=data["ids"],
            actor=agent,
            now=timezone.now(),
            assignee=data.get("assignee", UNSET),
            stage=data.get("stage", UNSET),
            priority=data.get("priority", UNSET),
            add_tags=data.get("add_tags", ()),
            remove_tags=data.get("remove_tags", ()),
            status=data.get("status", UNSET),
            merge_into_id=data.get("merge_into"),
        )
        return Response({"ticket_ids": result.ticket_ids, "changed": result.changed})


class TicketTypeListView(APIView):
    @extend_schema(
        operation_id="tickets_type_list",
        summary="The active ticket types with their colours and custom-field templates",
        responses={200: schemas.TicketTypeListOut, **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        request_agent(request)
        types = TicketType.objects.filter(is_active=True).order_by("name")
        return Response({"results": schemas.TicketTypeOut(types, many=True).data})


class CustomerTicketsView(APIView):
    @extend_schema(
        operation_id="tickets_customer_list",
        summary="A customer's tickets that this agent may see (sorting and paging as the list)",
        parameters=[schemas.TicketPageQuery],
        responses={200: schemas.TicketPageOut, **ERRORS, 404: OpenApiResponse(schemas.TicketErrorOut, description="No such customer")},
        tags=TAGS,
    )
    def get(self, request: Request, customer_id: int) -> Response:
        agent = request_agent(request)
        query = validated(schemas.TicketPageQuery(data=request.query_params))
        if not Customer.objects.filter(pk=customer_id).exists():
            raise NotFound()
        found = selectors.ticket_list(
            actor=agent,
            now=timezone.now(),
            filters=selectors.TicketFilters(customer_id=customer_id),
            sort=query["sort"],
            page=query["page"],
            page_size=query["page_size"],
        )
        return _page(request, found)
