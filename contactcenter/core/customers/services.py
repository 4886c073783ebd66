"""Writes to customers and identities."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from contactcenter.core.customers.models import Customer, CustomerIdentity


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
