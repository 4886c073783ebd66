"""Two nodes processing one message at the same moment: one ticket (threads on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.factories import TeamFactory
from tests.tickets.conftest import T0
from tests.tickets.mail.conftest import raw_mail
from tickets.mail import inbound
from tickets.mail.models import Mailbox, MailMessage
from tickets.models import Ticket

NODES = 3


@pytest.mark.django_db(transaction=True)
def test_nodes_racing_for_one_message_make_one_ticket() -> None:
    mailbox = Mailbox.objects.create(team=TeamFactory(), address="help@shop.example", imap_host="127.0.0.1", imap_user="help")
    start = threading.Barrier(NODES)
    outcomes: list[str | None] = []
    errors: list[BaseException] = []

    def node() -> None:
        try:
            start.wait()
            record = inbound.process_raw(mailbox=mailbox, raw=raw_mail(), now=T0)
            outcomes.append(record.outcome if record else None)
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=node) for _ in range(NODES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(outcomes, key=str) == sorted(["ticket_created", *[None] * (NODES - 1)], key=str)
    assert Ticket.objects.count() == 1 and MailMessage.objects.count() == 1
