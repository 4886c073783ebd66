"""The ticket desk behind the bot's ticket actions (bot.hooks): the Rasa action server opens
tickets and answers "what is the status of T-000123?" through these two functions."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from bot.hooks import TicketLookup, TicketReceipt, TicketRequest, TicketStatus
from contactcenter.core.customers.models import Customer, CustomerIdentity
from contactcenter.core.customers.services import normalize_identity
from contactcenter.core.staff.models import Team
from tickets import access
from tickets.models import Ticket
from tickets.models.ticket import Status
from tickets.services import create_ticket


def _customer(request: TicketRequest) -> Customer:
    """The customer with this e-mail or phone, or a new one (unverified: never merged)."""
    for kind, value in ((CustomerIdentity.Kind.EMAIL, request.email), (CustomerIdentity.Kind.PHONE, request.phone)):
        if not value:
            continue
        value = normalize_identity(kind=kind, value=value)
        found = (
            Customer.objects.filter(email=value).first()
            if kind == CustomerIdentity.Kind.EMAIL
            else Customer.objects.filter(phone=value).first()
        )
        found = found or Customer.objects.filter(identities__kind=kind, identities__value=value).first()
        if found is not None:
            return found
    email = normalize_identity(kind=CustomerIdentity.Kind.EMAIL, value=request.email) if request.email else ""
    phone = normalize_identity(kind=CustomerIdentity.Kind.PHONE, value=request.phone) if request.phone else ""
    return Customer.objects.create(email=email[:254], phone=phone[:40], language="zh-hans" if request.language == "zh" else "en")


def _team() -> Team:
    """Bot tickets go to the team named by CC_BOT_TICKET_TEAM (a slug), else the first team."""
    team = Team.objects.filter(slug=settings.CC_BOT_TICKET_TEAM).first() if settings.CC_BOT_TICKET_TEAM else None
    team = team or Team.objects.order_by("id").first()
    if team is None:
        raise RuntimeError("no team to give the bot's tickets to")
    return team


def create(request: TicketRequest) -> TicketReceipt:
    now = timezone.now()
    with transaction.atomic():
        if request.conversation_id is not None and (existing := Ticket.objects.filter(conversation_id=request.conversation_id).first()):
            return TicketReceipt(number=existing.number, status=existing.status)
        said = "\n".join(f"{line.speaker}: {line.text}" for line in request.transcript)
        ticket = create_ticket(
            actor=access.SYSTEM,
            team=_team(),
            subject=request.subject,
            description=said[:5000],
            customer=_customer(request),
            source="chat" if request.conversation_id is not None else "api",
            conversation_id=request.conversation_id,
            now=now,
            dispatch=True,
        )
    return TicketReceipt(number=ticket.number, status=ticket.status)


def status(lookup: TicketLookup) -> TicketStatus | None:
    """Only when the asker's e-mail or phone is the ticket customer's: numbers cannot be probed."""
    ticket = Ticket.objects.select_related("customer").filter(number=lookup.number.strip().upper()).first()
    if ticket is None or ticket.customer is None:
        return None
    email = normalize_identity(kind=CustomerIdentity.Kind.EMAIL, value=lookup.email) if lookup.email else ""
    phone = normalize_identity(kind=CustomerIdentity.Kind.PHONE, value=lookup.phone) if lookup.phone else ""
    if not ((email and email == ticket.customer.email) or (phone and phone == ticket.customer.phone)):
        return None
    with translation.override(ticket.customer.language or settings.LANGUAGE_CODE):
        label = str(Status(ticket.status).label)
    return TicketStatus(number=ticket.number, status=ticket.status, label=label, updated_at=ticket.updated_at)
