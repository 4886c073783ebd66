"""Liveness/readiness endpoint for load balancers and compose health checks."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = True
    except Exception:
        database = False
    return JsonResponse({"status": "ok" if database else "degraded", "database": database}, status=200 if database else 503)
