"""Mail in: fetch a team mailbox over IMAP, and turn each new message into a ticket or a customer's reply on one.

Idempotent: every message's Message-ID is inserted into :class:`MailMessage` (unique) in the same
transaction as the ticket or reply it produces, so a message fetched twice, or by two nodes at
once, is processed once. The UID high-water mark only saves work; the Message-ID is the guarantee.
A message that cannot be read is recorded as failed and the fetch moves on.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import logging
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from contactcenter.core.customers.models import Customer, CustomerIdentity
from contactcenter.core.errors import InvalidInput
from tickets import services
from tickets.access import SYSTEM
from tickets.api.uploads import checked_upload
from tickets.mail.models import Mailbox, MailMessage, OutboundMail
from tickets.mail.parse import ParsedMail, parse_message, report_text, trim_quoted
from tickets.models import Source, Status, Ticket, TimelineEntry
from tickets.services.portal import customer_for_email

logger = logging.getLogger(__name__)

IMAP_TIMEOUT_S = 30.0
#: A node holds a mailbox this long at most (a crashed fetch frees it after this).
LEASE = timedelta(minutes=5)
#: Messages per fetch and mailbox; the rest come on the next round.
BATCH = 50
MAX_ATTACHMENTS = 20
MAX_TEXT = 100_000
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def max_message_bytes() -> int:
    return int(getattr(settings, "CC_MAIL_MAX_BYTES", 25 * 1024 * 1024))


@dataclass(slots=True)
class FetchResult:
    fetched: int = 0
    processed: int = 0
    error: str = ""


# -- the periodic job ---------------------------------------------------------------------------------


def fetch_due_mailboxes(now: datetime) -> int:
    """The ticker's job: fetch every active mailbox whose poll interval has passed. Returns messages processed."""
    total = 0
    for mailbox in Mailbox.objects.filter(is_active=True).order_by("id"):
        if mailbox.last_polled_at is not None and mailbox.last_polled_at + timedelta(seconds=mailbox.poll_interval_s) > now:
            continue
        result = fetch_mailbox(mailbox=mailbox, now=now)
        total += result.processed if result else 0
    return total


def fetch_mailbox(*, mailbox: Mailbox, now: datetime) -> FetchResult | None:
    """One round for one mailbox: new UIDs since the last one seen, each processed once. None: another node has it."""
    claimed = (
        Mailbox.objects.filter(pk=mailbox.pk, is_active=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )
    if not claimed:
        return None
    mailbox.refresh_from_db()  # the position another node may have moved since this object was read
    result = FetchResult()
    try:
        with _connect(mailbox) as imap:
            _fetch_new(imap, mailbox=mailbox, now=now, result=result)
    except (imaplib.IMAP4.error, OSError, ssl.SSLError, EOFError, UnicodeError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:1000]
        logger.warning("mailbox %s: fetch failed: %s", mailbox.address, result.error)
    except Exception as exc:  # anything else: shown on the mailbox too, never a silent stall
        result.error = f"{type(exc).__name__}: {exc}"[:1000]
        logger.exception("mailbox %s: fetch failed", mailbox.address)
    finally:
        Mailbox.objects.filter(pk=mailbox.pk).update(lease_until=None, last_polled_at=now, last_error=result.error)
    return result


@contextlib.contextmanager
def _connect(mailbox: Mailbox) -> Iterator[imaplib.IMAP4]:
    imap: imaplib.IMAP4
    if mailbox.imap_security == Mailbox.Security.SSL:
        imap = imaplib.IMAP4_SSL(mailbox.imap_host, mailbox.imap_port, ssl_context=ssl.create_default_context(), timeout=IMAP_TIMEOUT_S)
    else:
        imap = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=IMAP_TIMEOUT_S)
    try:
        if mailbox.imap_security == Mailbox.Security.STARTTLS:
            imap.starttls(ssl_context=ssl.create_default_context())
        imap.login(mailbox.imap_user, mailbox.imap_password)
        yield imap
    finally:
        with contextlib.suppress(Exception):
            imap.logout()


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fetch_new(imap: imaplib.IMAP4, *, mailbox: Mailbox, now: datetime, result: FetchResult) -> None:
    status, _data = imap.select(_quoted(mailbox.imap_folder or "INBOX"))
    if status != "OK":
        raise imaplib.IMAP4.error(f"cannot select {mailbox.imap_folder!r}")
    _, validity_data = imap.response("UIDVALIDITY")
    uid_validity = int(validity_data[0]) if validity_data and validity_data[0] else 0
    _, next_data = imap.response("UIDNEXT")
    uid_next = int(next_data[0]) if next_data and next_data[0] else 0
    last_uid = mailbox.last_uid if mailbox.uid_validity == uid_validity else 0  # a rebuilt folder: look at all again
    # From scratch (a new mailbox, a rebuilt folder) only unread mail is taken: connecting a mailbox
    # full of old mail must not open a ticket for each of them. After that, every new UID is taken.
    criteria = f"UID {last_uid + 1}:*" if last_uid else "UID 1:* UNSEEN"
    status, found = imap.uid("SEARCH", None, criteria)  # type: ignore[arg-type]
    if status != "OK":
        raise imaplib.IMAP4.error("UID SEARCH failed")
    # "n:*" always matches the newest message, even when its UID is below n.
    waiting = sorted(uid for uid in (int(x) for x in (found[0] or b"").split()) if uid > last_uid)
    uids = waiting[:BATCH]
    if mailbox.uid_validity != uid_validity:
        Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=uid_validity, last_uid=last_uid)
    for uid in uids:
        result.fetched += 1
        try:
            if _fetch_one(imap, mailbox=mailbox, uid=uid, uid_validity=uid_validity, now=now) is not None:
                result.processed += 1
        except (imaplib.IMAP4.abort, OSError, EOFError):
            raise  # the connection is gone: stop here, the next round starts at this UID again
        except Exception as exc:
            logger.exception("mailbox %s: UID %s could not be processed", mailbox.address, uid)
            _record(
                mailbox=mailbox,
                message_id=f"uid-{uid_validity}-{uid}.{mailbox.address}@unfetched",
                outcome=MailMessage.Outcome.FAILED,
                reason=f"{type(exc).__name__}: {exc}",
                uid=uid,
                now=now,
            )
        if last_uid:  # from scratch, the Seen flags we set are the position until the start is done
            Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=uid).update(last_uid=uid)
    if not last_uid and len(waiting) <= BATCH and uids:
        # Every unread message of the start is done: the read ones below UIDNEXT stay behind for good.
        end = max(uid_next - 1, uids[-1])
        Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=end).update(last_uid=end)


def _fetch_one(imap: imaplib.IMAP4, *, mailbox: Mailbox, uid: int, uid_validity: int, now: datetime) -> MailMessage | None:
    status, data = imap.uid("FETCH", str(uid), "(RFC822.SIZE)")
    size_match = _SIZE.search(b" ".join(x if isinstance(x, bytes) else b"" for x in data or []))
    size = int(size_match.group(1)) if size_match else 0
    if size > max_message_bytes():
        # Not downloaded at all: the record says so, under a stand-in id (we never read its Message-ID).
        record = _record(
            mailbox=mailbox,
            message_id=f"uid-{uid_validity}-{uid}.{mailbox.address}@too-large",
            outcome=MailMessage.Outcome.TOO_LARGE,
            reason=f"{size} bytes",
            uid=uid,
            now=now,
        )
    else:
        status, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
        raw = next((part[1] for part in data or [] if isinstance(part, tuple) and len(part) > 1), b"")
        if status != "OK" or not raw:
            raise imaplib.IMAP4.error(f"UID {uid} could not be fetched")
        record = process_raw(mailbox=mailbox, raw=raw, now=now, uid=uid)
    with contextlib.suppress(imaplib.IMAP4.error):
        imap.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
    return record


# -- one message --------------------------------------------------------------------------------------


def process_raw(*, mailbox: Mailbox, raw: bytes, now: datetime, uid: int | None = None) -> MailMessage | None:
    """One message's bytes → a new ticket, a reply on a ticket, or a record of why not. None: known already."""
    if len(raw) > max_message_bytes():
        return _record(
            mailbox=mailbox,
            message_id=_stand_in_id(raw),
            outcome=MailMessage.Outcome.TOO_LARGE,
            reason=f"{len(raw)} bytes",
            uid=uid,
            now=now,
        )
    try:
        parsed = parse_message(raw)
    except Exception as exc:  # a message we cannot read must not stop the mailbox
        logger.warning("mailbox %s: unreadable message (UID %s): %s", mailbox.address, uid, exc)
        return _record(mailbox=mailbox, message_id=_stand_in_id(raw), outcome=MailMessage.Outcome.FAILED, reason=str(exc), uid=uid, now=now)
    if MailMessage.objects.filter(message_id=parsed.message_id).exists():
        return None  # seen before (a re-fetch), or one of our own sent mails coming back

    def skip(outcome: str, reason: str) -> MailMessage | None:
        return _record(mailbox=mailbox, message_id=parsed.message_id, outcome=outcome, reason=reason, uid=uid, now=now, parsed=parsed)

    if parsed.automated:
        record = skip(MailMessage.Outcome.AUTOMATED, parsed.automated)
        if record is not None and parsed.automated in {"bounce", "report"}:
            _note_bounce(record, raw=raw, now=now)
        return record
    if "@" not in parsed.from_address:
        return skip(MailMessage.Outcome.FAILED, "no sender address")
    if Mailbox.objects.filter(address__iexact=parsed.from_address).exists():
        return skip(MailMessage.Outcome.OWN, parsed.from_address)
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = MailMessage.objects.create(
                        message_id=parsed.message_id,
                        direction=MailMessage.Direction.INBOUND,
                        outcome=MailMessage.Outcome.FAILED,
                        mailbox=mailbox,
                        sender=parsed.from_address[:255],
                        subject=parsed.subject[:255],
                        uid=uid,
                        created_at=now,
                    )
            except IntegrityError:
                return None  # another node took this message a moment ago
            _deliver(record, mailbox=mailbox, parsed=parsed, now=now)
            record.save(update_fields=["outcome", "ticket", "entry"])
            return record
    except Exception as exc:
        logger.exception("mailbox %s: message %s could not become a ticket", mailbox.address, parsed.message_id)
        return skip(MailMessage.Outcome.FAILED, f"{type(exc).__name__}: {exc}")


_ANY_MESSAGE_ID = re.compile(r"<([^<>\s]{1,250}@[^<>\s]{1,250})>")
_DSN_STATUS = re.compile(r"^Status:\s*([245]\.\d{1,3}\.\d{1,3})", re.IGNORECASE | re.MULTILINE)
_DSN_DIAGNOSTIC = re.compile(r"^Diagnostic-Code:\s*(?:smtp;\s*)?(.{1,300})$", re.IGNORECASE | re.MULTILINE)


def _note_bounce(record: MailMessage, *, raw: bytes, now: datetime) -> None:
    """A bounce of one of our replies: the agents learn on the ticket that the customer did not get it.

    The returned original (or its headers) carries our Message-ID somewhere in the report."""
    text = report_text(raw)
    ids = list(dict.fromkeys(_ANY_MESSAGE_ID.findall(text)))[:200]
    ours = (
        MailMessage.objects.filter(direction=MailMessage.Direction.OUTBOUND, message_id__in=ids, ticket__isnull=False)
        .select_related("ticket")
        .first()
    )
    if ours is None or ours.ticket is None:
        return
    outbound = OutboundMail.objects.filter(message_id=ours.message_id).first()
    found = [match.group(1).strip() for match in (_DSN_STATUS.search(text), _DSN_DIAGNOSTIC.search(text)) if match]
    record.ticket = ours.ticket
    record.save(update_fields=["ticket"])
    try:
        services.add_note(
            ticket_id=ours.ticket.pk,
            actor=SYSTEM,
            body=_("The mail to %(address)s came back undelivered: %(reason)s")
            % {"address": outbound.to_address if outbound else "?", "reason": " ".join(found) or _("no reason given")},
            now=now,
        )
    except Exception:  # a closed or merged ticket takes no note; the message log still says it
        logger.exception("could not note the bounce on ticket %s", ours.ticket.pk)


def _stand_in_id(raw: bytes) -> str:
    return f"{hashlib.sha256(raw).hexdigest()[:40]}@unread"


def _record(
    *,
    mailbox: Mailbox,
    message_id: str,
    outcome: str,
    reason: str,
    uid: int | None,
    now: datetime,
    parsed: ParsedMail | None = None,
) -> MailMessage | None:
    try:
        with transaction.atomic():
            return MailMessage.objects.create(
                message_id=message_id[:255],
                direction=MailMessage.Direction.INBOUND,
                outcome=outcome,
                reason=reason[:255],
                mailbox=mailbox,
                sender=parsed.from_address[:255] if parsed else "",
                subject=parsed.subject[:255] if parsed else "",
                uid=uid,
                created_at=now,
            )
    except IntegrityError:
        return None


def _deliver(record: MailMessage, *, mailbox: Mailbox, parsed: ParsedMail, now: datetime) -> None:
    customer = customer_for_email(email=parsed.from_address, name=parsed.from_name)
    uploads, refused = _uploads(parsed)
    ticket = thread_ticket(parsed=parsed, customer=customer)
    entry: TimelineEntry | None = None
    if ticket is not None:
        body = trim_quoted(parsed.text)[:MAX_TEXT] or _attachments_only(uploads)
        author = ticket.customer or customer  # the ticket's own customer record writes on it
        entry = services.reply(ticket_id=ticket.pk, actor=author, body=body, now=now, attachments=uploads)
        record.outcome = MailMessage.Outcome.REPLIED
    else:
        # A new conversation keeps its whole text: a forwarded mail's quote is often the point.
        subject = " ".join(parsed.subject.split())[:200] or _("(no subject)")
        ticket = services.create_ticket(
            actor=SYSTEM,
            team=mailbox.team,
            subject=subject,
            description=parsed.text[:MAX_TEXT],
            customer=customer,
            source=Source.EMAIL,
            dispatch=True,
            now=now,
        )
        if uploads:
            entry = services.reply(ticket_id=ticket.pk, actor=customer, body=_attachments_only(uploads), now=now, attachments=uploads)
        record.outcome = MailMessage.Outcome.TICKET_CREATED
    if refused:
        services.add_note(
            ticket_id=ticket.pk,
            actor=SYSTEM,
            body=_("Files in this e-mail that were not accepted: %(names)s") % {"names": ", ".join(refused)},
            now=now,
        )
    record.ticket = ticket
    record.entry = entry


def _attachments_only(uploads: list[services.AttachmentUpload]) -> str:
    return _("Attached: %(names)s") % {"names": ", ".join(u.filename for u in uploads)} if uploads else _("(empty message)")


def _uploads(parsed: ParsedMail) -> tuple[list[services.AttachmentUpload], list[str]]:
    """The attachments the desk accepts (the API's checks: size, type from the bytes), and the names of the rest."""
    accepted: list[services.AttachmentUpload] = []
    refused: list[str] = []
    for index, attachment in enumerate(parsed.attachments):
        if index >= MAX_ATTACHMENTS:
            refused.append(attachment.filename)
            continue
        try:
            accepted.append(checked_upload(SimpleUploadedFile(attachment.filename or "attachment", attachment.content)))
        except InvalidInput:
            refused.append(attachment.filename)
    return accepted, refused


def thread_ticket(*, parsed: ParsedMail, customer: Customer) -> Ticket | None:
    """The ticket this mail answers: a Message-ID it refers to that we sent or received for a ticket,
    else a ``[T-000123]`` in the subject — and only the sender's own ticket, not closed (a closed
    ticket's customer writing again starts a new one)."""
    ticket_id: int | None = None
    ids = parsed.thread_ids
    if ids:
        known = dict(MailMessage.objects.filter(message_id__in=ids, ticket__isnull=False).values_list("message_id", "ticket_id"))
        ticket_id = next((known[mid] for mid in ids if mid in known), None)
    ticket = Ticket.objects.filter(pk=ticket_id).first() if ticket_id is not None else None
    if ticket is None and parsed.ticket_number:
        ticket = Ticket.objects.filter(number=parsed.ticket_number).first()
    if ticket is not None and ticket.merged_into_id is not None:
        ticket = Ticket.objects.filter(pk=ticket.merged_into_id).first()
    if ticket is None or ticket.status == Status.CLOSED or not _is_customer_of(ticket, customer, parsed.from_address):
        return None
    return ticket


def _is_customer_of(ticket: Ticket, customer: Customer, address: str) -> bool:
    """The sender is the ticket's customer: the same record, or (duplicate records happen) a record
    whose e-mail or e-mail identity is the sender's address."""
    owner = ticket.customer
    if owner is None:
        return False
    if owner.pk == customer.pk or owner.email.lower() == address:
        return True
    return CustomerIdentity.objects.filter(customer=owner, kind=CustomerIdentity.Kind.EMAIL, value=address).exists()
