"""Mail out: an agent's public reply becomes an outbox row (after commit), and the ticker sends due rows over SMTP.

Nothing is sent inside a request: the ticket hook only writes :class:`OutboundMail`. A failing SMTP
server is retried with growing pauses (1 min, 2, 4 … at most 1 h) up to :data:`MAX_ATTEMPTS`, then
the row is given up and the ticket gets an internal note saying so. Rows are claimed with
``SKIP LOCKED`` and a lease, so two tickers do not send one reply twice (a node that dies between
sending and marking can make it go twice; the same Message-ID lets mail clients fold the copies).
"""

from __future__ import annotations

import contextlib
import html
import itertools
import logging
import re
import smtplib
import ssl
from datetime import datetime, timedelta
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from contactcenter.core.customers.models import CustomerIdentity
from tickets import events, hooks, services
from tickets.access import SYSTEM
from tickets.mail.models import Mailbox, MailMessage, OutboundMail
from tickets.models import Ticket, TicketAttachment, TimelineEntry

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
#: How long a claimed row is left alone by other nodes while one sends it.
SEND_LEASE = timedelta(minutes=10)
BATCH = 20
#: References carry at most this many earlier Message-IDs (the first and the newest ones).
MAX_REFERENCES = 20
_TICKET_TAG = re.compile(r"\s*\[\s*T-\d+\s*\]\s*", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|回复|答复|转发)\s*[:：]\s*)+", re.IGNORECASE)


def retry_delay(attempts: int) -> timedelta:
    """The pause after the n-th failed attempt: 1, 2, 4, 8 … minutes, never more than an hour."""
    delay: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, LONGEST_RETRY)


# -- enqueue (the ticket hook) ------------------------------------------------------------------------


def on_ticket_event(event: hooks.TicketEvent) -> None:
    """After commit: an agent's public reply on a ticket with an e-mail customer goes into the outbox."""
    if event.name != events.REPLIED:
        return
    entry = event.fields.get("entry") or {}
    if entry.get("kind") != TimelineEntry.Kind.PUBLIC_REPLY or not entry.get("author_agent_id"):
        return  # customers' own replies (and anything else) are not mailed back
    # The reply's own time is the clock here (the services' time is passed in, not read).
    enqueue_reply(entry_id=int(entry["id"]), now=datetime.fromisoformat(entry["created_at"]))


def enqueue_reply(*, entry_id: int, now: datetime, include_system: bool = False) -> OutboundMail | None:
    """The outbox row for one agent reply (once per reply), or None when there is nobody to mail or no mailbox.

    ``include_system``: a reply the desk wrote itself (an automation rule's e-mail action) is mailed too;
    the hook never passes it, so rules' plain ``reply`` actions stay on the portal only."""
    written_by = Q(author_agent__isnull=False)
    if include_system:
        written_by |= Q(author_agent__isnull=True, author_customer__isnull=True)
    entry = (
        TimelineEntry.objects.select_related("ticket", "ticket__customer")
        .filter(written_by, pk=entry_id, kind=TimelineEntry.Kind.PUBLIC_REPLY)
        .first()
    )
    if entry is None:
        return None
    ticket = entry.ticket
    to_address = recipient(ticket)
    mailbox = mailbox_for(ticket) if to_address else None
    if not to_address or mailbox is None:
        return None
    message_id = make_msgid(domain=mailbox.address.rsplit("@", 1)[-1]).strip("<>")
    try:
        with transaction.atomic():
            outbound = OutboundMail.objects.create(
                entry=entry,
                ticket=ticket,
                mailbox=mailbox,
                to_address=to_address,
                message_id=message_id,
                next_attempt_at=now,
                created_at=now,
            )
            # Known before it leaves: a copy that comes back into a mailbox is never imported, and the
            # customer's answer to it threads onto this ticket.
            MailMessage.objects.create(
                message_id=message_id,
                direction=MailMessage.Direction.OUTBOUND,
                outcome=MailMessage.Outcome.OUTGOING,
                mailbox=mailbox,
                ticket=ticket,
                entry=entry,
                sender=mailbox.address,
                subject=reply_subject(ticket)[:255],
                created_at=now,
            )
    except IntegrityError:
        return OutboundMail.objects.filter(entry=entry).first()
    return outbound


#: The sweep looks this far back for agent replies the hook missed (a node that stopped between the
#: reply's commit and its after-commit hook), and leaves the newest minute to the hook.
SWEEP_WINDOW = timedelta(hours=1)
SWEEP_GRACE = timedelta(minutes=1)


def enqueue_missed(now: datetime, *, limit: int = 100) -> int:
    """The periodic job ``tickets.mail.enqueue_missed``: queue the recent agent replies that should be
    mailed and have no outbox row. One query when there are none."""
    missed = list(
        TimelineEntry.objects.filter(
            kind=TimelineEntry.Kind.PUBLIC_REPLY,
            author_agent__isnull=False,
            created_at__gte=now - SWEEP_WINDOW,
            created_at__lte=now - SWEEP_GRACE,
            ticket__team__mailboxes__is_active=True,
        )
        .filter(Q(ticket__customer__email__gt="") | Q(ticket__customer__identities__kind=CustomerIdentity.Kind.EMAIL))
        .exclude(pk__in=OutboundMail.objects.values("entry_id"))
        .order_by("created_at", "id")
        .values_list("pk", "created_at")
        .distinct()[:limit]
    )
    for entry_id, created_at in missed:
        enqueue_reply(entry_id=entry_id, now=created_at)
    return len(missed)


def recipient(ticket: Ticket) -> str:
    customer = ticket.customer
    if customer is None:
        return ""
    if customer.email:
        return customer.email
    identity = CustomerIdentity.objects.filter(customer=customer, kind=CustomerIdentity.Kind.EMAIL).order_by("-verified", "id").first()
    return identity.value if identity else ""


def mailbox_for(ticket: Ticket) -> Mailbox | None:
    """The team's active mailbox; the one the customer wrote to if the team has several."""
    mailboxes = list(Mailbox.objects.filter(team_id=ticket.team_id, is_active=True).order_by("id"))
    if len(mailboxes) > 1:
        used = (
            MailMessage.objects.filter(ticket=ticket, direction=MailMessage.Direction.INBOUND, mailbox__in=mailboxes)
            .order_by("-created_at", "-id")
            .values_list("mailbox_id", flat=True)
            .first()
        )
        return next((m for m in mailboxes if m.pk == used), mailboxes[0])
    return mailboxes[0] if mailboxes else None


def reply_subject(ticket: Ticket) -> str:
    """``Re: <subject> [T-000123]``, without piling up prefixes or numbers from earlier rounds."""
    subject = _REPLY_PREFIX.sub("", _TICKET_TAG.sub(" ", ticket.subject)).strip()
    return f"Re: {subject} [{ticket.number}]"


# -- send (the periodic job) --------------------------------------------------------------------------


def send_due(now: datetime, *, limit: int = BATCH) -> int:
    """The ticker's job: send the outbox rows that are due. Returns how many went out."""
    with transaction.atomic():
        due = list(
            OutboundMail.objects.select_for_update(skip_locked=True)
            .filter(status=OutboundMail.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if not due:
            return 0
        OutboundMail.objects.filter(pk__in=due).update(next_attempt_at=now + SEND_LEASE, attempts=F("attempts") + 1)
    rows = list(OutboundMail.objects.filter(pk__in=due).select_related("mailbox__team", "ticket", "entry").order_by("mailbox_id", "id"))
    sent = 0
    # One SMTP session per mailbox and round: a server that does not answer costs one timeout, not one per reply.
    for _mailbox_id, group in itertools.groupby(rows, key=lambda row: row.mailbox_id):
        sent += _send_group(list(group), now=now)
    return sent


_SEND_ERRORS = (smtplib.SMTPException, OSError, ssl.SSLError, ValueError)


def _send_group(rows: list[OutboundMail], *, now: datetime) -> int:
    connection = connection_for(rows[0].mailbox)
    try:
        connection.open()
    except _SEND_ERRORS as exc:
        for row in rows:
            _failed(row, exc, now=now)
        return 0
    sent = 0
    try:
        for row in rows:
            try:
                connection.send_messages([build_message(row)])
            except _SEND_ERRORS as exc:
                _failed(row, exc, now=now)
                continue
            OutboundMail.objects.filter(pk=row.pk).update(status=OutboundMail.Status.SENT, sent_at=now, last_error="")
            sent += 1
    finally:
        with contextlib.suppress(*_SEND_ERRORS):
            connection.close()
    return sent


def _failed(row: OutboundMail, exc: BaseException, *, now: datetime) -> None:
    error = f"{type(exc).__name__}: {exc}"[:1000]
    logger.warning("mail for ticket %s to %s failed (attempt %s): %s", row.ticket.number, row.to_address, row.attempts, error)
    if row.attempts >= MAX_ATTEMPTS:
        OutboundMail.objects.filter(pk=row.pk).update(status=OutboundMail.Status.FAILED, last_error=error)
        _note_given_up(row, error=error, now=now)
    else:
        OutboundMail.objects.filter(pk=row.pk).update(next_attempt_at=now + retry_delay(row.attempts), last_error=error)


def _note_given_up(row: OutboundMail, *, error: str, now: datetime) -> None:
    try:
        services.add_note(
            ticket_id=row.ticket_id,
            actor=SYSTEM,
            body=_("This reply could not be mailed to %(address)s after %(n)d attempts: %(error)s")
            % {"address": row.to_address, "n": row.attempts, "error": error},
            now=now,
        )
    except Exception:  # a closed or merged ticket takes no note; the outbox row says it all
        logger.exception("could not note the failed mail on ticket %s", row.ticket_id)


def connection_for(mailbox: Mailbox) -> BaseEmailBackend:
    """The mailbox's own SMTP server, or (no host set) the server's default mail settings (EMAIL_URL)."""
    connection: BaseEmailBackend
    if not mailbox.smtp_host:
        connection = get_connection(fail_silently=False)
        return connection
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        fail_silently=False,
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        username=mailbox.smtp_user or None,
        password=mailbox.smtp_password or None,
        use_tls=mailbox.smtp_security == Mailbox.Security.STARTTLS,
        use_ssl=mailbox.smtp_security == Mailbox.Security.SSL,
        timeout=int(getattr(settings, "EMAIL_TIMEOUT", 10) or 10),
    )
    return connection


def build_message(row: OutboundMail) -> EmailMultiAlternatives:
    """The reply as a mail: text and an escaped HTML copy, the reply's files, and the thread's headers."""
    ticket, entry, mailbox = row.ticket, row.entry, row.mailbox
    thread = list(
        MailMessage.objects.filter(ticket=ticket, created_at__lte=row.created_at)
        .exclude(message_id=row.message_id)
        .exclude(outcome__in=[MailMessage.Outcome.AUTOMATED, MailMessage.Outcome.FAILED, MailMessage.Outcome.TOO_LARGE])
        .order_by("created_at", "id")
        .values_list("message_id", "direction")
    )
    headers = {"Message-ID": f"<{row.message_id}>", "X-Auto-Response-Suppress": "OOF, AutoReply"}
    if thread:
        inbound = [mid for mid, direction in thread if direction == MailMessage.Direction.INBOUND]
        ids = [mid for mid, _direction in thread]
        references = ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
        headers["In-Reply-To"] = f"<{inbound[-1] if inbound else ids[-1]}>"
        headers["References"] = " ".join(f"<{mid}>" for mid in references)
    sender = formataddr((mailbox.display_name or mailbox.team.name, mailbox.address))
    message = EmailMultiAlternatives(
        subject=reply_subject(ticket), body=entry.body, from_email=sender, to=[row.to_address], headers=headers
    )
    message.attach_alternative(_as_html(entry.body), "text/html")
    for attachment in TicketAttachment.objects.filter(entry=entry).order_by("id"):
        with attachment.file.open("rb") as handle:
            message.attach(attachment.filename, handle.read(), attachment.content_type or "application/octet-stream")
    return message


def _as_html(text: str) -> str:
    paragraphs = [html.escape(p).replace("\n", "<br>\n") for p in text.split("\n\n") if p.strip()]
    return '<!DOCTYPE html><html><body style="font-family:sans-serif">' + "".join(f"<p>{p}</p>\n" for p in paragraphs) + "</body></html>"
