"""Writes to customers and identities."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contactcenter.core.customers import access
from contactcenter.core.customers.models import Customer, CustomerIdentity
from contactcenter.core.errors import InvalidInput, NotFound
from contactcenter.core.staff.models import AgentProfile

#: What an agent may set on a customer record through the API (identities stay the channels' business).
EDITABLE_FIELDS = ("name", "email", "phone", "language", "notes", "tags")


def normalize_identity(*, kind: str, value: str) -> str:
    value = value.strip()
    if kind == CustomerIdentity.Kind.EMAIL:
        return value.lower()
    if kind == CustomerIdentity.Kind.PHONE:
        return "".join(ch for ch in value if ch.isdigit() or ch == "+")
    return value


def customer_for_visitor(*, visitor_id: str) -> Customer:
    """The customer behind a widget visitor id, created on first sight (safe under races)."""
    existing = CustomerIdentity.objects.filter(kind=CustomerIdentity.Kind.VISITOR, value=visitor_id).select_related("customer").first()
    if existing:
        return existing.customer
    try:
        with transaction.atomic():
            customer = Customer.objects.create()
            CustomerIdentity.objects.create(customer=customer, kind=CustomerIdentity.Kind.VISITOR, value=visitor_id)
            return customer
    except IntegrityError:
        return CustomerIdentity.objects.select_related("customer").get(kind=CustomerIdentity.Kind.VISITOR, value=visitor_id).customer


def update_contact_details(*, customer: Customer, name: str = "", email: str = "", phone: str = "") -> Customer:
    """Fill in what a visitor told us (pre-chat form). Unverified: never merges customers."""
    changed: list[str] = []
    if name and name != customer.name:
        customer.name = name[:200]
        changed.append("name")
    if email and email != customer.email:
        customer.email = normalize_identity(kind=CustomerIdentity.Kind.EMAIL, value=email)[:254]
        changed.append("email")
    if phone and phone != customer.phone:
        customer.phone = normalize_identity(kind=CustomerIdentity.Kind.PHONE, value=phone)[:40]
        changed.append("phone")
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
    return customer


def _clean(field: str, value: Any) -> Any:
    if field == "email":
        return normalize_identity(kind=CustomerIdentity.Kind.EMAIL, value=value)
    if field == "phone":
        return normalize_identity(kind=CustomerIdentity.Kind.PHONE, value=value)
    if field == "tags":
        return list(dict.fromkeys(tag.strip() for tag in value if tag.strip()))
    return value.strip() if field != "notes" else value


def _require_contact(customer: Customer) -> None:
    # Someone the desk can address: a record with neither is a duplicate in waiting.
    if not (customer.name or customer.email or customer.phone):
        message = _("A customer needs a name, an e-mail address or a phone number.")
        raise InvalidInput(message, fields={"name": [message]})


def create_customer(
    *, actor: AgentProfile, name: str = "", email: str = "", phone: str = "", language: str = "", notes: str = "", tags: Iterable[str] = ()
) -> Customer:
    """A customer an agent enters by hand (say, a caller). Unverified: no identities, never merged with others."""
    values = {"name": name, "email": email, "phone": phone, "language": language, "notes": notes, "tags": list(tags)}
    customer = Customer(**{field: _clean(field, value) for field, value in values.items()})
    _require_contact(customer)
    customer.save()
    return customer


def update_customer(*, actor: AgentProfile, customer_id: int, **changes: Any) -> Customer:
    """Change the fields in ``changes`` (see :data:`EDITABLE_FIELDS`); supervisors and admins only."""
    access.require_customer_editor(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
        if customer is None:
            raise NotFound()
        changed = []
        for field, value in changes.items():
            cleaned = _clean(field, value)
            if getattr(customer, field) != cleaned:
                setattr(customer, field, cleaned)
                changed.append(field)
        _require_contact(customer)
        if changed:
            customer.save(update_fields=[*changed, "updated_at"])
    return customer
