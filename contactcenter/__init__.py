"""contactcenter: the composition root (settings, ASGI, URLs, CLI, Celery app, console, reports)."""

from contactcenter.celery import app as celery_app

__all__ = ["celery_app"]
