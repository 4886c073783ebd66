"""Celery tasks of the e-mail channel (beat runs them in the production profile; the ticker calls the same functions).

On a worker, a slow or hanging mail server holds only that worker, not the ticker's other jobs."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from tickets.mail import inbound, outbound


@shared_task(name="tickets_mail.fetch_due", ignore_result=True)  # type: ignore[untyped-decorator]
def fetch_due() -> int:
    return inbound.fetch_due_mailboxes(timezone.now())


@shared_task(name="tickets_mail.send_due", ignore_result=True)  # type: ignore[untyped-decorator]
def send_due() -> int:
    return outbound.send_due(timezone.now())


@shared_task(name="tickets_mail.enqueue_missed", ignore_result=True)  # type: ignore[untyped-decorator]
def enqueue_missed() -> int:
    return outbound.enqueue_missed(timezone.now())
