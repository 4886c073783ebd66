"""SMS out: a rule's ``sms`` action writes an outbox row, and the ticker hands due rows to the gateway.

Nothing is sent inside a request. A gateway that fails (5xx, no answer, unreachable) is retried after
30 s, 1, 2, 4 … minutes (at most an hour apart) up to :data:`MAX_ATTEMPTS`; a gateway that refuses the
message (4xx) is not asked again. Either way a given-up row leaves an internal note on the ticket.
Rows are claimed with ``SKIP LOCKED`` and a lease in a short transaction, so two tickers never send
one row at once and no lock is held over the HTTP call (a node that dies between the call and the
mark can make a text go twice: the same ``reference`` lets the gateway drop the copy).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from contactcenter.core.customers.models import CustomerIdentity
from tickets import services
from tickets.access import SYSTEM
from tickets.models import Ticket
from tickets.sms import gateway
from tickets.sms.models import OutboundSms

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
#: How long a claimed row is left alone by other nodes while one sends it (well above the gateway timeout).
SEND_LEASE = timedelta(minutes=2)
BATCH = 20
#: Texts are cut to this many characters (a few SMS segments; gateways split and join them).
MAX_BODY = 500
#: Fewer digits than this is not a number a gateway can reach.
MIN_DIGITS = 5
_NOT_DIGITS = re.compile(r"\D")


def retry_delay(attempts: int) -> timedelta:
    """The pause after the n-th failed attempt: 30 s, 1, 2, 4 … minutes, never more than an hour."""
    delay: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, LONGEST_RETRY)


def normalise_number(raw: str) -> str:
    """Digits only, with a leading ``+`` kept (``+86 138-0013-8000`` → ``+8613800138000``); '' if too short."""
    text = raw.strip()
    digits = _NOT_DIGITS.sub("", text)
    if len(digits) < MIN_DIGITS:
        return ""
    return ("+" if text.startswith("+") else "") + digits


def phone_number(ticket: Ticket) -> str:
    """The customer's phone (``Customer.phone``, else a phone identity, verified first), normalised; '' when none."""
    customer = ticket.customer
    if customer is None:
        return ""
    if number := normalise_number(customer.phone):
        return number
    for value in (
        CustomerIdentity.objects.filter(customer=customer, kind=CustomerIdentity.Kind.PHONE)
        .order_by("-verified", "id")
        .values_list("value", flat=True)
    ):
        if number := normalise_number(value):
            return number
    return ""


def enqueue(*, ticket: Ticket, to_number: str, body: str, now: datetime) -> OutboundSms:
    """The outbox row for one text (cut to :data:`MAX_BODY` characters), due now."""
    text = body.strip()
    if len(text) > MAX_BODY:
        text = text[: MAX_BODY - 1].rstrip() + "…"
    return OutboundSms.objects.create(ticket=ticket, to_number=to_number, body=text, next_attempt_at=now, created_at=now)


def _claim(now: datetime, limit: int) -> list[OutboundSms]:
    with transaction.atomic():
        due = list(
            OutboundSms.objects.select_for_update(skip_locked=True)
            .filter(status=OutboundSms.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if not due:
            return []
        OutboundSms.objects.filter(pk__in=due).update(next_attempt_at=now + SEND_LEASE, attempts=F("attempts") + 1)
    return list(OutboundSms.objects.filter(pk__in=due).order_by("id"))


def send_due(now: datetime, *, limit: int = BATCH) -> int:
    """The periodic job ``tickets_sms.send``: hand the due rows to the gateway. Returns how many were sent."""
    sender = gateway.configured()
    if sender is None:
        return 0  # rows wait until a gateway is configured
    sent = 0
    for row in _claim(now, limit):
        result = sender.send(gateway.Text(to=row.to_number, body=row.body, reference=f"sms-{row.pk}"))
        if result.outcome == gateway.Outcome.SENT:
            OutboundSms.objects.filter(pk=row.pk).update(
                status=OutboundSms.Status.SENT, sent_at=now, provider_message_id=result.message_id, last_error=""
            )
            sent += 1
        elif result.outcome == gateway.Outcome.REFUSED or row.attempts >= MAX_ATTEMPTS:
            _give_up(row, error=result.error, refused=result.outcome == gateway.Outcome.REFUSED, now=now)
        else:
            logger.warning("SMS %s to %s failed (attempt %d): %s", row.pk, row.to_number, row.attempts, result.error)
            OutboundSms.objects.filter(pk=row.pk).update(next_attempt_at=now + retry_delay(row.attempts), last_error=result.error)
    return sent


def _give_up(row: OutboundSms, *, error: str, refused: bool, now: datetime) -> None:
    logger.warning("SMS %s to %s given up after %d attempts: %s", row.pk, row.to_number, row.attempts, error)
    OutboundSms.objects.filter(pk=row.pk).update(status=OutboundSms.Status.FAILED, last_error=error)
    if refused:
        body = _("The SMS gateway refused the text to %(number)s: %(error)s") % {"number": row.to_number, "error": error}
    else:
        body = _("This text could not be sent to %(number)s after %(n)d attempts: %(error)s") % {
            "number": row.to_number,
            "n": row.attempts,
            "error": error,
        }
    try:
        services.add_note(ticket_id=row.ticket_id, actor=SYSTEM, body=body, now=now)
    except Exception:  # a closed or merged ticket takes no note; the outbox row says it all
        logger.exception("could not note the failed SMS on ticket %s", row.ticket_id)
