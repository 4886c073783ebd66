"""The mailbox admin: passwords never shown back, kept when left empty; the log and outbox are read-only; the app is wired."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from contactcenter.core import periodic
from tickets import hooks
from tickets.mail.models import Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client(db: Any) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


def _form(mailbox: Mailbox, **changes: Any) -> dict[str, Any]:
    data = {
        "team": mailbox.team_id,
        "address": mailbox.address,
        "display_name": mailbox.display_name,
        "is_active": "on",
        "imap_host": mailbox.imap_host,
        "imap_port": mailbox.imap_port,
        "imap_security": mailbox.imap_security,
        "imap_user": mailbox.imap_user,
        "imap_password": "",
        "imap_folder": mailbox.imap_folder,
        "poll_interval_s": mailbox.poll_interval_s,
        "smtp_host": mailbox.smtp_host,
        "smtp_port": mailbox.smtp_port,
        "smtp_security": mailbox.smtp_security,
        "smtp_user": mailbox.smtp_user,
        "smtp_password": "",
    }
    return {**data, **changes}


def test_the_list_and_the_page_never_show_the_passwords(root_client: Client, mailbox: Mailbox) -> None:
    listing = root_client.get("/admin/tickets_mail/mailbox/")
    page = root_client.get(f"/admin/tickets_mail/mailbox/{mailbox.pk}/change/")
    assert listing.status_code == page.status_code == 200
    assert "help@shop.example" in listing.content.decode()
    for response in (listing, page):
        assert "imap-secret" not in response.content.decode() and "smtp-secret" not in response.content.decode()


def test_an_empty_password_field_keeps_the_stored_one_and_a_new_one_replaces_it(root_client: Client, mailbox: Mailbox) -> None:
    response = root_client.post(
        f"/admin/tickets_mail/mailbox/{mailbox.pk}/change/", _form(mailbox, display_name="售后", smtp_password="new")
    )
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.display_name, mailbox.imap_password, mailbox.smtp_password) == ("售后", "imap-secret", "new")


@pytest.mark.parametrize("model", ["mailmessage", "outboundmail"])
def test_the_message_log_and_outbox_are_listed_and_read_only(root_client: Client, model: str) -> None:
    assert root_client.get(f"/admin/tickets_mail/{model}/").status_code == 200
    assert root_client.get(f"/admin/tickets_mail/{model}/add/").status_code == 403


def test_the_app_registers_its_jobs_and_its_ticket_hook() -> None:
    assert {"tickets.mail.fetch", "tickets.mail.send", "tickets.mail.enqueue_missed"} <= set(periodic.names())
    assert "tickets.mail" in hooks._handlers


def test_fetch_now_reports_a_mailbox_that_cannot_be_reached(root_client: Client, mailbox: Mailbox) -> None:
    page = root_client.post("/admin/tickets_mail/mailbox/", {"action": "fetch_now", "_selected_action": [mailbox.pk]}, follow=True)
    assert page.status_code == 200
    mailbox.refresh_from_db()
    assert mailbox.last_error and mailbox.address in page.content.decode()


def test_celery_finds_the_mail_tasks_and_beat_schedules_them(settings: Any) -> None:
    from contactcenter.celery import app
    from tickets.mail import tasks

    app.autodiscover_tasks(force=True)
    names = {"tickets_mail.fetch_due", "tickets_mail.send_due", "tickets_mail.enqueue_missed"}
    assert names <= set(app.tasks)
    assert names <= {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks.fetch_due.apply().get() == 0 and tasks.send_due.apply().get() == 0 and tasks.enqueue_missed.apply().get() == 0
