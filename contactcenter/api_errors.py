"""One error shape for the REST API: {"code", "message", "details"?}."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from contactcenter.core.errors import ContactCenterError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ContactCenterError):
        return Response(exc.as_dict(), status=exc.http_status)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "code" not in response.data:
        detail = response.data.get("detail")
        code = getattr(detail, "code", "invalid") if detail is not None else "invalid"
        message = str(detail) if detail is not None else "The input is not valid."
        body: dict[str, Any] = {"code": code, "message": message}
        if detail is None:
            body["details"] = response.data
        response.data = body
    return response
