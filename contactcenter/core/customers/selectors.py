"""Reads of customers for views, consumers and the agents' API (look-up by name, e-mail or phone)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from contactcenter.core.customers.models import Customer, CustomerIdentity
from contactcenter.core.errors import InvalidInput, NotFound

CUSTOMER_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
MAX_CUSTOMER_PAGE_SIZE = 200
#: Identities an agent may see and search: a widget visitor id is a tracking cookie, not contact data.
CONTACT_KINDS = (CustomerIdentity.Kind.EMAIL, CustomerIdentity.Kind.PHONE, CustomerIdentity.Kind.EXTERNAL)
#: A query needs this many digits before it is also compared with the digits of phone numbers.
PHONE_MIN_DIGITS = 3


@dataclass(frozen=True, slots=True)
class CustomerPage:
    customers: Sequence[Customer]
    total: int
    page: int
    page_size: int
    has_next: bool = False


def _contact_identities() -> Prefetch[Any]:
    return Prefetch("identities", queryset=CustomerIdentity.objects.filter(kind__in=CONTACT_KINDS).order_by("kind", "id"))


def matching_customers(*, q: str = "") -> QuerySet[Customer]:
    """Customers whose name, e-mail or phone (or a known e-mail, phone or external id) contains ``q``.

    Case-insensitive; a query with digits also matches phone numbers written with other separators
    ("138 0013 8000" finds "+8613800138000")."""
    customers = Customer.objects.all()
    text = q.strip()
    if not text:
        return customers
    condition = Q(name__icontains=text) | Q(email__icontains=text) | Q(phone__icontains=text)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= PHONE_MIN_DIGITS and digits != text:
        condition |= Q(phone__contains=digits)
    identities = CustomerIdentity.objects.filter(kind__in=CONTACT_KINDS, value__icontains=text).values("customer_id")
    return customers.filter(condition | Q(pk__in=identities))


def customer_page(*, q: str = "", sort: str = "-created", page: int = 1, page_size: int = 25) -> CustomerPage:
    """One page of customers: 3 queries whatever its size (count, rows, their contact identities)."""
    if sort not in CUSTOMER_SORTS:
        raise InvalidInput(_("Unknown sort."), fields={"sort": ", ".join(CUSTOMER_SORTS)})
    if page < 1 or not 1 <= page_size <= MAX_CUSTOMER_PAGE_SIZE:
        raise InvalidInput(_("Page out of range."), fields={"page_size": f"1-{MAX_CUSTOMER_PAGE_SIZE}"})
    customers = matching_customers(q=q)
    total = customers.count()
    start = (page - 1) * page_size
    rows = customers.prefetch_related(_contact_identities()).order_by(*CUSTOMER_SORTS[sort])
    found = list(rows[start : start + page_size]) if start < total else []
    return CustomerPage(found, total, page, page_size, has_next=start + page_size < total)


def customer_detail(*, customer_id: int) -> Customer:
    """One customer with their contact identities, else NotFound."""
    customer = Customer.objects.prefetch_related(_contact_identities()).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


def customer_card(*, customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.display_name,
        "email": customer.email,
        "phone": customer.phone,
        "language": customer.language,
        "created_at": customer.created_at.isoformat(),
        "identities": [
            {"kind": i.kind, "value": i.value, "verified": i.verified} for i in customer.identities.all() if i.kind != "visitor"
        ],
    }
