"""Customer sign-in by one-time mailed links (the portal), the customer behind an e-mail address and the
tickets customers open (the web form and the portal).

Only the SHA-256 of a token is stored, so a database dump signs nobody in and the lookup compares
hashes, never the secret itself. A link lives ``CC_PORTAL_LINK_MINUTES`` and works once. An address
gets at most ``CC_PORTAL_LINKS_PER_WINDOW`` links per ``CC_PORTAL_WINDOW_MINUTES``, counted on the
stored rows (every node sees them). An address we have no customer for gets no mail and no row: the
caller answers the same either way, so the portal does not tell who is a customer.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from contactcenter.core.customers.models import Customer, CustomerIdentity
from contactcenter.core.customers.services import normalize_identity
from contactcenter.core.errors import ContactCenterError
from contactcenter.core.staff.models import Team
from tickets.models import PortalLink, Source, Ticket
from tickets.services.create import create_ticket
from tickets.services.work import AttachmentUpload, reply

logger = logging.getLogger(__name__)

#: ``secrets.token_urlsafe(32)`` is 43 characters; anything much longer is not one of ours.
MAX_TOKEN_CHARS = 100


class InvalidSignInLink(ContactCenterError):
    code = "invalid_link"
    http_status = 400
    default_message = "This sign-in link is not valid any more."


class LinkOutcome(enum.StrEnum):
    """What became of a request for a link (the page says the same thing for all three)."""

    SENT = "sent"
    UNKNOWN = "unknown"
    LIMITED = "limited"


@dataclass(frozen=True, slots=True)
class SignIn:
    customer: Customer
    next_path: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_lifetime() -> timedelta:
    return timedelta(minutes=int(settings.CC_PORTAL_LINK_MINUTES))


def safe_next_path(path: str) -> str:
    """A page of the portal to land on after signing in, or "" (never another site)."""
    path = (path or "").strip()
    if not path.startswith("/portal/") or "//" in path or "\\" in path or len(path) > 300:
        return ""
    return path


def known_customer(*, email: str) -> Customer | None:
    """The customer this address belongs to: its e-mail identity, else the newest customer with that
    e-mail who has tickets, else the newest with that e-mail at all."""
    email = normalize_identity(kind=CustomerIdentity.Kind.EMAIL, value=email)
    if not email:
        return None
    identity = CustomerIdentity.objects.filter(kind=CustomerIdentity.Kind.EMAIL, value=email).select_related("customer").first()
    if identity is not None:
        return identity.customer
    with_email = Customer.objects.filter(email__iexact=email)
    return with_email.filter(tickets__isnull=False).order_by("-id").first() or with_email.order_by("-id").first()


def customer_for_email(*, email: str, name: str = "", language: str = "") -> Customer:
    """The customer behind ``email`` (web form), made on first sight with an unverified e-mail identity.

    What a form says about an existing customer (their name) is not trusted: it fills blanks only."""
    email = normalize_identity(kind=CustomerIdentity.Kind.EMAIL, value=email)[:254]
    name = " ".join(name.split())[:200]
    existing = known_customer(email=email)
    if existing is not None:
        if name and not existing.name:
            existing.name = name
            existing.save(update_fields=["name", "updated_at"])
        return existing
    try:
        with transaction.atomic():
            customer = Customer.objects.create(name=name, email=email, language=language[:16])
            CustomerIdentity.objects.create(customer=customer, kind=CustomerIdentity.Kind.EMAIL, value=email, verified=False)
            return customer
    except IntegrityError:  # the same address sent by another request a moment ago
        return CustomerIdentity.objects.select_related("customer").get(kind=CustomerIdentity.Kind.EMAIL, value=email).customer


def open_customer_ticket(
    *,
    customer: Customer,
    team: Team,
    subject: str,
    description: str,
    source: str,
    now: datetime,
    attachments: Sequence[AttachmentUpload] = (),
) -> Ticket:
    """A ticket the customer opens (portal, web form), dispatched through the team's ticket queue.

    The files ride on the customer's first public reply ("Attached: …"): attachments are public
    exactly when their entry is, and the ticket's "created" entry is not."""
    with transaction.atomic():
        ticket = create_ticket(actor=customer, team=team, subject=subject, description=description, source=source, now=now, dispatch=True)
        if attachments:
            names = ", ".join(upload.filename for upload in attachments)
            reply(ticket_id=ticket.pk, actor=customer, body=_("Attached: %(names)s") % {"names": names}, now=now, attachments=attachments)
    return ticket


def submit_webform(
    *,
    team: Team,
    name: str,
    email: str,
    subject: str,
    description: str,
    now: datetime,
    base_url: str,
    attachments: Sequence[AttachmentUpload] = (),
    language: str = "",
) -> Ticket:
    """A team's public web form sent: the customer behind the address (made if new), a ``webform``
    ticket for the team, and its number mailed with a sign-in link (within the address's limit)."""
    with transaction.atomic():
        customer = customer_for_email(email=email, name=name, language=language)
        ticket = open_customer_ticket(
            customer=customer,
            team=team,
            subject=subject,
            description=description,
            source=Source.WEBFORM,
            now=now,
            attachments=attachments,
        )
        mail_ticket_receipt(ticket=ticket, email=email, now=now, base_url=base_url, language=language)
    return ticket


def _recent_links(email: str, now: datetime) -> int:
    window = timedelta(minutes=int(settings.CC_PORTAL_WINDOW_MINUTES))
    return PortalLink.objects.filter(email=email, created_at__gt=now - window).count()


def request_sign_in_link(*, email: str, now: datetime, base_url: str, next_path: str = "", language: str = "") -> LinkOutcome:
    """Mail a one-time sign-in link to ``email`` if it is a customer's and not over its limit."""
    email = normalize_identity(kind=CustomerIdentity.Kind.EMAIL, value=email)[:254]
    if _recent_links(email, now) >= int(settings.CC_PORTAL_LINKS_PER_WINDOW):
        return LinkOutcome.LIMITED
    customer = known_customer(email=email)
    if customer is None:
        return LinkOutcome.UNKNOWN
    _issue_and_mail(customer=customer, email=email, now=now, base_url=base_url, next_path=next_path, language=language)
    return LinkOutcome.SENT


def mail_ticket_receipt(*, ticket: Ticket, email: str, now: datetime, base_url: str, language: str = "") -> LinkOutcome:
    """After a web-form ticket: mail its number with a sign-in link to it (within the address's limit)."""
    email = normalize_identity(kind=CustomerIdentity.Kind.EMAIL, value=email)[:254]
    if ticket.customer is None:
        return LinkOutcome.UNKNOWN
    if _recent_links(email, now) >= int(settings.CC_PORTAL_LINKS_PER_WINDOW):
        return LinkOutcome.LIMITED
    next_path = reverse("tickets-portal:ticket", kwargs={"number": ticket.number})
    _issue_and_mail(
        customer=ticket.customer, email=email, now=now, base_url=base_url, next_path=next_path, language=language, ticket=ticket
    )
    return LinkOutcome.SENT


def _issue_and_mail(
    *, customer: Customer, email: str, now: datetime, base_url: str, next_path: str, language: str, ticket: Ticket | None = None
) -> None:
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        PortalLink.objects.create(
            customer=customer,
            email=email,
            token_hash=token_hash(token),
            next_path=safe_next_path(next_path),
            created_at=now,
            expires_at=now + link_lifetime(),
        )
        url = base_url.rstrip("/") + reverse("tickets-portal:redeem", kwargs={"token": token})
        context = {
            "url": url,
            "minutes": int(settings.CC_PORTAL_LINK_MINUTES),
            "customer": customer,
            "ticket_number": ticket.number if ticket is not None else "",
            "ticket_subject": ticket.subject if ticket is not None else "",
        }
        language = language or customer.language or settings.LANGUAGE_CODE
        transaction.on_commit(lambda: _send_soon(email=email, context=context, language=language))


def _send_soon(*, email: str, context: dict[str, object], language: str) -> None:
    # In the background by default: an SMTP round trip only for known addresses would let anyone
    # time the answer to learn who is a customer. (Lost if the process dies at that moment; the
    # customer then asks again.) Tests send at once.
    if settings.CC_PORTAL_MAIL_IN_BACKGROUND:
        threading.Thread(target=_send, kwargs={"email": email, "context": context, "language": language}, daemon=True).start()
    else:
        _send(email=email, context=context, language=language)


def _send(*, email: str, context: dict[str, object], language: str) -> None:
    with translation.override(language):
        if context["ticket_number"]:
            subject = _("Your request %(number)s") % {"number": context["ticket_number"]}
        else:
            subject = _("Your sign-in link")
        body = render_to_string("tickets/portal/mail/sign_in.txt", context)
    try:
        send_mail(subject, body, None, [email])
    except Exception:  # the ticket and the link stay; the customer can ask for another link
        logger.exception("sending the portal sign-in mail failed")


def redeem_sign_in_link(*, token: str, now: datetime) -> SignIn:
    """The customer a link signs in, once; the link is used up. The address is verified by it."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidSignInLink(_("This sign-in link is not valid any more. Ask for a new one."))
    with transaction.atomic():
        link = PortalLink.objects.select_for_update(of=("self",)).select_related("customer").filter(token_hash=token_hash(token)).first()
        if link is None or link.used_at is not None or link.expires_at <= now:
            raise InvalidSignInLink(_("This sign-in link is not valid any more. Ask for a new one."))
        # Two clicks racing: only the one whose update finds the link unused signs in.
        if not PortalLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now):
            raise InvalidSignInLink(_("This sign-in link is not valid any more. Ask for a new one."))
        identity, made = CustomerIdentity.objects.get_or_create(
            kind=CustomerIdentity.Kind.EMAIL, value=link.email, defaults={"customer": link.customer, "verified": True}
        )
        if not made and identity.customer_id == link.customer_id and not identity.verified:
            identity.verified = True
            identity.save(update_fields=["verified"])
    return SignIn(customer=link.customer, next_path=link.next_path)


#: Used and expired links are kept this long (who signed in when), then deleted.
KEEP_LINKS = timedelta(days=7)


def purge_portal_links(now: datetime, *, limit: int = 1000) -> int:
    """The periodic job "tickets.portal_links" (hourly): delete links expired more than KEEP_LINKS ago."""
    old = list(PortalLink.objects.filter(expires_at__lt=now - KEEP_LINKS).order_by("id").values_list("pk", flat=True)[:limit])
    if not old:
        return 0
    deleted, _counts = PortalLink.objects.filter(pk__in=old).delete()
    return deleted
