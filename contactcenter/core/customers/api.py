"""REST API of the customer records for agents: look-up (name, e-mail, phone), one record, create, change.

Thin like the ticket desk's API: strict input here, reads in :mod:`.selectors`, writes in
:mod:`.services`, who may change what in :mod:`.access`. Agents, supervisors and admins (session
or token) only; errors have the one shape {"code", "message", "details"?}. A customer's tickets are
``GET /api/customers/<id>/tickets/`` (the ticket desk's API).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.customers import access, selectors, services
from contactcenter.core.rest import StrictInput, Text, request_agent, validated

TAGS = ["customers"]
PAGE_SIZE_MAX = 100
PAGE_SIZE_DEFAULT = 25
SEARCH_MAX_CHARS = 200
NAME_MAX_CHARS = 200
EMAIL_MAX_CHARS = 254
PHONE_MAX_CHARS = 40
NOTES_MAX_CHARS = 5000
TAGS_MAX = 50
TAG_MAX_CHARS = 64
_PHONE = re.compile(r"^\+?[0-9 ().\-]+$")


# ----------------------------------------------------------------------------------------- input


def _phone(value: str) -> None:
    if value and (not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < selectors.PHONE_MIN_DIGITS):
        raise serializers.ValidationError(_("Enter a phone number: digits, optionally with + ( ) - . and spaces."))


def _language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


# A pattern, not an enum: drf-spectacular would hoist an enum into a "Language" component that clashes with the bot's.
@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(" + "|".join(_language_codes()) + ")?$",
        "description": f"One of the site's languages ({', '.join(_language_codes())}), or empty.",
    }
)
class LanguageCode(Text):
    """A language of the site (settings.LANGUAGES) or "" (unknown); text only, like every strict field."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_blank", True)
        super().__init__(max_length=16, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        code = super().to_internal_value(data)
        if code and code not in _language_codes():
            raise serializers.ValidationError(_("Unknown language."))
        return code


def _tags() -> serializers.ListField:
    return serializers.ListField(
        child=Text(max_length=TAG_MAX_CHARS), max_length=TAGS_MAX, required=False, help_text="Labels such as vip (routing rules read them)."
    )


class CustomerListQuery(StrictInput):
    q = Text(
        max_length=SEARCH_MAX_CHARS,
        required=False,
        allow_blank=True,
        help_text="Part of a name, an e-mail address or a phone number (digits match whatever the separators).",
    )
    sort = serializers.ChoiceField(choices=sorted(selectors.CUSTOMER_SORTS), default="-created")
    page = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=PAGE_SIZE_MAX, default=PAGE_SIZE_DEFAULT)


class CustomerCreateIn(StrictInput):
    """At least one of name, e-mail and phone."""

    name = Text(max_length=NAME_MAX_CHARS, required=False, allow_blank=True, default="")
    email = Text(max_length=EMAIL_MAX_CHARS, required=False, allow_blank=True, default="", validators=[validate_email])
    phone = Text(max_length=PHONE_MAX_CHARS, required=False, allow_blank=True, default="", validators=[_phone])
    language = LanguageCode(required=False, default="")
    notes = Text(max_length=NOTES_MAX_CHARS, required=False, allow_blank=True, default="")
    tags = _tags()


class CustomerUpdateIn(StrictInput):
    name = Text(max_length=NAME_MAX_CHARS, required=False, allow_blank=True)
    email = Text(max_length=EMAIL_MAX_CHARS, required=False, allow_blank=True, validators=[validate_email])
    phone = Text(max_length=PHONE_MAX_CHARS, required=False, allow_blank=True, validators=[_phone])
    language = LanguageCode(required=False)
    notes = Text(max_length=NOTES_MAX_CHARS, required=False, allow_blank=True)
    tags = _tags()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(_("Nothing to change."))
        return attrs


# ---------------------------------------------------------------------------------------- output


class CustomerErrorOut(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField(required=False)


class CustomerIdentityOut(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=[kind.value for kind in selectors.CONTACT_KINDS])
    value = serializers.CharField()
    verified = serializers.BooleanField()


class CustomerOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    display_name = serializers.CharField(help_text="The name, else the e-mail or phone: what the console shows.")
    email = serializers.CharField()
    phone = serializers.CharField()
    language = serializers.CharField()
    notes = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    identities = CustomerIdentityOut(many=True, help_text="Known e-mail addresses, phones and external ids (verified or not).")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CustomerPageOut(serializers.Serializer[Any]):
    results = CustomerOut(many=True)
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.CharField(allow_null=True, help_text="URL of the next page.")
    previous = serializers.CharField(allow_null=True, help_text="URL of the previous page.")


ERRORS = {
    400: OpenApiResponse(CustomerErrorOut, description="Invalid input (details.fields names each field)"),
    403: OpenApiResponse(CustomerErrorOut, description="Not signed in, not an agent, not allowed, or CSRF failure"),
}
NOT_FOUND = {404: OpenApiResponse(CustomerErrorOut, description="No such customer")}


# ----------------------------------------------------------------------------------------- views


def _customer(customer_id: int) -> dict[str, Any]:
    return dict(CustomerOut(selectors.customer_detail(customer_id=customer_id)).data)


def _page_url(request: Request, page: int) -> str:
    query = request.query_params.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class CustomerListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="customers_list",
        summary="Look customers up by part of a name, e-mail address or phone number (paging as the ticket list)",
        parameters=[CustomerListQuery],
        responses={200: CustomerPageOut, **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        request_agent(request)
        query = validated(CustomerListQuery(data=request.query_params))
        found = selectors.customer_page(q=query.get("q", ""), sort=query["sort"], page=query["page"], page_size=query["page_size"])
        return Response(
            {
                "results": CustomerOut(found.customers, many=True).data,
                "count": found.total,
                "page": found.page,
                "page_size": found.page_size,
                "next": _page_url(request, found.page + 1) if found.has_next else None,
                "previous": _page_url(request, found.page - 1) if found.page > 1 else None,
            }
        )

    @extend_schema(
        operation_id="customers_create",
        summary="Enter a customer by hand (any agent): at least a name, an e-mail address or a phone number; unverified",
        request=CustomerCreateIn,
        responses={201: CustomerOut, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        agent = request_agent(request)
        data = validated(CustomerCreateIn(data=request.data))
        customer = services.create_customer(actor=agent, **data)
        return Response(_customer(customer.pk), status=status.HTTP_201_CREATED)


class CustomerDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="customers_read", responses={200: CustomerOut, **ERRORS, **NOT_FOUND}, tags=TAGS)
    def get(self, request: Request, customer_id: int) -> Response:
        request_agent(request)
        return Response(_customer(customer_id))

    @extend_schema(
        operation_id="customers_update",
        summary="Change a customer's name, e-mail, phone, language, notes or tags (supervisors and admins only)",
        request=CustomerUpdateIn,
        responses={200: CustomerOut, **ERRORS, **NOT_FOUND},
        tags=TAGS,
    )
    def patch(self, request: Request, customer_id: int) -> Response:
        agent = request_agent(request)
        access.require_customer_editor(agent)  # before the input: an agent learns nothing from a 400
        selectors.customer_detail(customer_id=customer_id)
        data = validated(CustomerUpdateIn(data=request.data))
        services.update_customer(actor=agent, customer_id=customer_id, **data)
        return Response(_customer(customer_id))
