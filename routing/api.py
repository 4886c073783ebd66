"""REST API for routing configuration (supervisors and admins): queues and source rules — list, create, read, change, delete.

Thin: the serializer checks types, ``Queue.full_clean`` runs the same validation as the admin
(routing.validation), and errors have one shape, {"code", "message", "details"?}.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from contactcenter.core.staff.selectors import agent_for_user
from routing.models import Queue, SourceRule

FIELDS = [
    "id",
    "name",
    "team",
    "kind",
    "strategy",
    "params",
    "match_language",
    "required_skills",
    "offer_timeout_s",
    "auto_accept",
    "max_wait_s",
    "overflow_action",
    "overflow_queue",
    "wrap_up_s",
    "business_hours",
    "is_active",
]


class QueueSerializer(serializers.ModelSerializer[Queue]):
    # Plain integers here: the model's validators (run by full_clean) give the one "must not be negative" message.
    offer_timeout_s = serializers.IntegerField(required=False)
    max_wait_s = serializers.IntegerField(required=False, allow_null=True)
    wrap_up_s = serializers.IntegerField(required=False)

    class Meta:
        model = Queue
        fields = FIELDS
        read_only_fields = ["id"]


def _require_supervisor(request: Request) -> None:
    agent = agent_for_user(user_id=request.user.pk) if request.user.is_authenticated else None
    if not (request.user.is_superuser or (agent is not None and agent.is_supervisor)):
        raise Forbidden(_("Only supervisors may change routing."), reason="not_a_supervisor")


def _invalid(errors: dict[str, Any]) -> InvalidInput:
    return InvalidInput(_("The routing configuration is not valid."), fields={k: [str(m) for m in v] for k, v in errors.items()})


class SourceRuleSerializer(serializers.ModelSerializer[SourceRule]):
    # Declared: a model IntegerField's bounds come from the database backend, and the committed schema must not.
    position = serializers.IntegerField(required=False)
    priority = serializers.IntegerField(required=False, allow_null=True)

    class Meta:
        model = SourceRule
        fields = [
            "id",
            "name",
            "position",
            "is_active",
            "kind",
            "channel_ids",
            "page_url_globs",
            "page_url_regex",
            "keywords",
            "languages",
            "customer_tags",
            "queue",
            "priority",
        ]
        read_only_fields = ["id"]


def _save(serializer: serializers.ModelSerializer[Any], instance: Any, model: type[Queue] | type[SourceRule]) -> Any:
    """Types from the serializer, then the model's own validation (the admin's), then save."""
    if not serializer.is_valid():
        raise _invalid(serializer.errors)
    obj = instance if instance is not None else model()
    for name, value in serializer.validated_data.items():
        setattr(obj, name, value)
    try:
        obj.full_clean()
    except ValidationError as error:
        raise _invalid(error.message_dict) from None
    with transaction.atomic():
        obj.save()
    return obj


def _queue(queue_id: int) -> Queue:
    try:
        return Queue.objects.get(pk=queue_id)
    except Queue.DoesNotExist:
        raise NotFound() from None


class QueueListView(APIView):
    @extend_schema(
        operation_id="routing_queue_list",
        responses={200: inline_serializer("QueueList", {"results": QueueSerializer(many=True)})},
        tags=["routing"],
    )
    def get(self, request: Request) -> Response:
        _require_supervisor(request)
        return Response({"results": QueueSerializer(Queue.objects.order_by("name"), many=True).data})

    @extend_schema(operation_id="routing_queue_create", request=QueueSerializer, responses={201: QueueSerializer}, tags=["routing"])
    def post(self, request: Request) -> Response:
        _require_supervisor(request)
        queue = _save(QueueSerializer(data=request.data), None, Queue)
        return Response(QueueSerializer(queue).data, status=status.HTTP_201_CREATED)


class QueueDetailView(APIView):
    @extend_schema(operation_id="routing_queue_read", responses={200: QueueSerializer}, tags=["routing"])
    def get(self, request: Request, queue_id: int) -> Response:
        _require_supervisor(request)
        return Response(QueueSerializer(_queue(queue_id)).data)

    @extend_schema(operation_id="routing_queue_update", request=QueueSerializer, responses={200: QueueSerializer}, tags=["routing"])
    def patch(self, request: Request, queue_id: int) -> Response:
        _require_supervisor(request)
        queue = _queue(queue_id)
        queue = _save(QueueSerializer(queue, data=request.data, partial=True), queue, Queue)
        return Response(QueueSerializer(queue).data)

    @extend_schema(operation_id="routing_queue_delete", responses={204: None}, tags=["routing"])
    def delete(self, request: Request, queue_id: int) -> Response:
        _require_supervisor(request)
        queue = _queue(queue_id)
        try:
            queue.delete()
        except ProtectedError:
            raise Conflict(_("This queue still has entries; deactivate it instead.")) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


def _rule(rule_id: int) -> SourceRule:
    try:
        return SourceRule.objects.get(pk=rule_id)
    except SourceRule.DoesNotExist:
        raise NotFound() from None


class SourceRuleListView(APIView):
    @extend_schema(
        operation_id="routing_source_rule_list",
        responses={200: inline_serializer("SourceRuleList", {"results": SourceRuleSerializer(many=True)})},
        tags=["routing"],
    )
    def get(self, request: Request) -> Response:
        _require_supervisor(request)
        return Response({"results": SourceRuleSerializer(SourceRule.objects.order_by("position", "id"), many=True).data})

    @extend_schema(
        operation_id="routing_source_rule_create", request=SourceRuleSerializer, responses={201: SourceRuleSerializer}, tags=["routing"]
    )
    def post(self, request: Request) -> Response:
        _require_supervisor(request)
        rule = _save(SourceRuleSerializer(data=request.data), None, SourceRule)
        return Response(SourceRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class SourceRuleDetailView(APIView):
    @extend_schema(operation_id="routing_source_rule_read", responses={200: SourceRuleSerializer}, tags=["routing"])
    def get(self, request: Request, rule_id: int) -> Response:
        _require_supervisor(request)
        return Response(SourceRuleSerializer(_rule(rule_id)).data)

    @extend_schema(
        operation_id="routing_source_rule_update", request=SourceRuleSerializer, responses={200: SourceRuleSerializer}, tags=["routing"]
    )
    def patch(self, request: Request, rule_id: int) -> Response:
        _require_supervisor(request)
        rule = _rule(rule_id)
        rule = _save(SourceRuleSerializer(rule, data=request.data, partial=True), rule, SourceRule)
        return Response(SourceRuleSerializer(rule).data)

    @extend_schema(operation_id="routing_source_rule_delete", responses={204: None}, tags=["routing"])
    def delete(self, request: Request, rule_id: int) -> Response:
        _require_supervisor(request)
        _rule(rule_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
