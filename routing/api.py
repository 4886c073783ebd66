"""REST API for queue configuration (supervisors and admins): list, create, read, change, delete queues.

Thin: the serializer checks types, ``Queue.full_clean`` runs the same validation as the admin
(routing.validation), and errors have one shape, {"code", "message", "details"?}.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from contactcenter.core.staff.selectors import agent_for_user
from routing.models import Queue

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
    return InvalidInput(_("The queue configuration is not valid."), fields={k: [str(m) for m in v] for k, v in errors.items()})


def _save(serializer: QueueSerializer, instance: Queue | None) -> Queue:
    if not serializer.is_valid():
        raise _invalid(serializer.errors)
    queue = instance or Queue()
    for name, value in serializer.validated_data.items():
        setattr(queue, name, value)
    try:
        queue.full_clean()
    except ValidationError as error:
        raise _invalid(error.message_dict) from None
    with transaction.atomic():
        queue.save()
    return queue


def _queue(queue_id: int) -> Queue:
    try:
        return Queue.objects.get(pk=queue_id)
    except Queue.DoesNotExist:
        raise NotFound() from None


class QueueListView(APIView):
    @extend_schema(operation_id="routing_queue_list", responses={200: QueueSerializer(many=True)}, tags=["routing"])
    def get(self, request: Request) -> Response:
        _require_supervisor(request)
        return Response({"results": QueueSerializer(Queue.objects.order_by("name"), many=True).data})

    @extend_schema(operation_id="routing_queue_create", request=QueueSerializer, responses={201: QueueSerializer}, tags=["routing"])
    def post(self, request: Request) -> Response:
        _require_supervisor(request)
        queue = _save(QueueSerializer(data=request.data), None)
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
        queue = _save(QueueSerializer(queue, data=request.data, partial=True), queue)
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
