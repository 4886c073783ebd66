"""Celery tasks of the SLA clocks (beat runs them in the production profile; the embedded ticker calls the same function)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from tickets.sla import services


@shared_task(name="tickets_sla.fire_due", ignore_result=True)  # type: ignore[untyped-decorator]
def fire_due() -> int:
    return services.fire_due(timezone.now())
