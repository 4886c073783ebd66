"""CSAT writes: validating and storing a rating (ticket link or chat), the signed rating links, and the
invitation mailed once when a ticket is first solved."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from contactcenter.core.customers.models import CustomerIdentity
from contactcenter.core.errors import InvalidInput
from tickets import events, hooks
from tickets.csat.errors import AlreadyRated, LinkExpired, LinkInvalid, NotRatable
from tickets.csat.models import MAX_COMMENT, MAX_SCORE, MIN_SCORE, Invitation, Rating
from tickets.models import Status, Ticket, TimelineEntry

logger = logging.getLogger(__name__)

#: The tickets.hooks event (and ticket group event) a ticket's rating sends; automation rules hear it
#: as ``csat_received`` with the ``csat_score`` condition (its ``score`` field).
CSAT_RECEIVED = "ticket.csat_received"
TIMELINE_EVENT = "csat_received"
LINK_SALT = "tickets.csat.rating-link"
DEFAULT_LINK_DAYS = 30
SEND_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 5
BATCH = 20


def link_days() -> int:
    return int(getattr(settings, "CC_CSAT_LINK_DAYS", DEFAULT_LINK_DAYS))


# -- validation ------------------------------------------------------------------------------------


def clean_rating(*, score: Any, comment: Any) -> tuple[int, str]:
    """A score 1-5 (an integer, not a bool or text) and a comment of at most MAX_COMMENT characters."""
    if not isinstance(score, int) or isinstance(score, bool) or not MIN_SCORE <= score <= MAX_SCORE:
        raise InvalidInput(_("The score is a whole number from 1 to 5."), field="score", fields={"score": _("Choose 1 to 5.")})
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise InvalidInput(_("The comment must be text."), field="comment", fields={"comment": _("Must be text.")})
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(
            _("The comment is longer than %(n)d characters.") % {"n": MAX_COMMENT},
            field="comment",
            fields={"comment": _("At most %(n)d characters.") % {"n": MAX_COMMENT}},
        )
    return score, comment


# -- rating links ----------------------------------------------------------------------------------


def rating_token(*, ticket_id: int) -> str:
    """The signed link token of a ticket (stateless; the one rating per ticket is the table's constraint)."""
    return signing.dumps({"t": ticket_id}, salt=LINK_SALT)


def rating_path(*, ticket_id: int) -> str:
    return reverse("tickets-csat:rate", kwargs={"token": rating_token(ticket_id=ticket_id)})


def ticket_id_for_token(token: str) -> int:
    """The ticket a link names; LinkExpired after CC_CSAT_LINK_DAYS, LinkInvalid for anything forged or mangled."""
    try:
        data = signing.loads(token[:500], salt=LINK_SALT, max_age=timedelta(days=link_days()))
    except signing.SignatureExpired:
        raise LinkExpired(_("This rating link has expired.")) from None
    except signing.BadSignature:
        raise LinkInvalid(_("This rating link is not valid.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int):
        raise LinkInvalid(_("This rating link is not valid."))
    return int(data["t"])


def ratable_ticket(token: str) -> Ticket:
    """The ticket behind a link, if it exists and is solved or closed."""
    ticket = Ticket.objects.select_related("customer", "team", "assignee").filter(pk=ticket_id_for_token(token)).first()
    if ticket is None:
        raise LinkInvalid(_("This rating link is not valid."))
    return ticket


# -- storing ratings -------------------------------------------------------------------------------


def rate_ticket(*, token: str, score: Any, comment: Any, now: datetime) -> Rating:
    """The customer's answer through a rating link (public page, mail, portal): once per ticket."""
    score, comment = clean_rating(score=score, comment=comment)
    ticket_id = ticket_id_for_token(token)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None:
            raise LinkInvalid(_("This rating link is not valid."))
        if ticket.status == Status.OPEN:
            raise NotRatable(_("This ticket is open again; rate it once it is solved."))
        if Rating.objects.filter(ticket=ticket).exists():
            raise AlreadyRated(_("Thank you, this ticket was already rated."))
        try:
            with transaction.atomic():
                rating = Rating.objects.create(
                    source=Rating.Source.TICKET,
                    ticket=ticket,
                    customer_id=ticket.customer_id,
                    agent_id=ticket.assignee_id,
                    team_id=ticket.team_id,
                    score=score,
                    comment=comment,
                    created_at=now,
                )
        except IntegrityError:
            raise AlreadyRated(_("Thank you, this ticket was already rated.")) from None
        TimelineEntry.objects.create(
            ticket=ticket,
            kind=TimelineEntry.Kind.SYSTEM,
            event=TIMELINE_EVENT,
            body=comment,
            new_value={"score": score, "rating_id": rating.pk},
            author_customer_id=ticket.customer_id,
            created_at=now,
        )
        # To the team's consoles, and to tickets.hooks: automation's csat_received rules read ``score``.
        events.publish(ticket, CSAT_RECEIVED, score=score, rating_id=rating.pk)
    return rating


def rate_conversation(
    *, conversation_id: int, customer_id: int, team_id: int | None, agent_id: int | None, score: Any, comment: Any, now: datetime
) -> Rating:
    """A visitor's answer for a resolved chat, once per conversation. The chat app checks that the visitor
    owns the conversation and that it is resolved (under its row lock) before calling this."""
    score, comment = clean_rating(score=score, comment=comment)
    if Rating.objects.filter(conversation_id=conversation_id).exists():
        raise AlreadyRated(_("Thank you, this chat was already rated."))
    try:
        with transaction.atomic():
            return Rating.objects.create(
                source=Rating.Source.CHAT,
                conversation_id=conversation_id,
                customer_id=customer_id,
                agent_id=agent_id,
                team_id=team_id,
                score=score,
                comment=comment,
                created_at=now,
            )
    except IntegrityError:
        raise AlreadyRated(_("Thank you, this chat was already rated.")) from None


# -- invitations -----------------------------------------------------------------------------------


def on_ticket_event(event: hooks.TicketEvent) -> None:
    """After commit: a ticket that became solved (or closed) gets its invitation, once per ticket."""
    if event.name not in (events.UPDATED, events.BULK_UPDATED) or "status" not in (event.fields.get("changes") or []):
        return
    from django.utils import timezone

    invite_solved(ticket_ids=event.ticket_ids, now=timezone.now())


def customer_address(ticket: Ticket) -> str:
    customer = ticket.customer
    if customer is None:
        return ""
    if customer.email:
        return str(customer.email)
    identity = CustomerIdentity.objects.filter(customer=customer, kind=CustomerIdentity.Kind.EMAIL).order_by("-verified", "id").first()
    return identity.value if identity else ""


def invite_solved(*, ticket_ids: tuple[int, ...], now: datetime) -> int:
    """An invitation row for each of these tickets that is solved or closed, has a customer with an
    e-mail address and none yet. The ticker mails them (:func:`send_due_invitations`)."""
    tickets = (
        Ticket.objects.filter(
            pk__in=ticket_ids, status__in=(Status.SOLVED, Status.CLOSED), customer__isnull=False, merged_into__isnull=True
        )
        .exclude(pk__in=Invitation.objects.filter(ticket_id__in=ticket_ids).values("ticket_id"))
        .select_related("customer")
    )
    made = 0
    for ticket in tickets:
        address = customer_address(ticket)
        if not address:
            continue
        try:
            with transaction.atomic():
                Invitation.objects.create(ticket=ticket, to_address=address, created_at=now, next_attempt_at=now)
                made += 1
        except IntegrityError:  # another node's listener made it a moment ago
            pass
    return made


def _base_url() -> str:
    base = str(getattr(settings, "CC_PUBLIC_URL", "") or "")
    if not base:
        logger.warning("CC_PUBLIC_URL is not set; rating links in mails point at http://localhost:8000")
        base = "http://localhost:8000"
    return base.rstrip("/")


def send_due_invitations(now: datetime, *, limit: int = BATCH) -> int:
    """The periodic job ``tickets_csat.send_invitations``: mail the due invitations. Rows are claimed under
    SKIP LOCKED with a lease, so two tickers do not send one twice; a failure is retried a few times."""
    with transaction.atomic():
        due = list(
            Invitation.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("next_attempt_at", "id")[:limit]
        )
        Invitation.objects.filter(pk__in=[i.pk for i in due]).update(next_attempt_at=now + SEND_LEASE)
    sent = 0
    for invitation in due:
        ticket = Ticket.objects.select_related("customer").get(pk=invitation.ticket_id)
        if Rating.objects.filter(ticket=ticket).exists():  # rated in the portal before the mail went
            Invitation.objects.filter(pk=invitation.pk).update(sent_at=now, last_error="already rated")
            continue
        try:
            _mail(invitation, ticket)
        except Exception as error:
            logger.exception("mailing the rating invitation of ticket %s failed", ticket.pk)
            attempts = invitation.attempts + 1
            Invitation.objects.filter(pk=invitation.pk).update(
                attempts=attempts, last_error=str(error)[:1000], next_attempt_at=now + timedelta(minutes=5 * attempts)
            )
            continue
        Invitation.objects.filter(pk=invitation.pk).update(sent_at=now, attempts=invitation.attempts + 1, last_error="")
        sent += 1
    return sent


def _mail(invitation: Invitation, ticket: Ticket) -> None:
    language = (ticket.customer.language if ticket.customer else "") or settings.LANGUAGE_CODE
    link = _base_url() + rating_path(ticket_id=ticket.pk)
    with translation.override("zh-hans" if language.lower().startswith("zh") else "en"):
        subject = _("How did we do? %(number)s") % {"number": ticket.number}
        body = render_to_string("tickets_csat/mail/invitation.txt", {"ticket": ticket, "link": link, "days": link_days()})
    send_mail(subject, body, None, [invitation.to_address])
