"""Reads of customers for views and consumers."""

from __future__ import annotations

from typing import Any

from contactcenter.core.customers.models import Customer


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
