"""Customers and their identities (visitor id, e-mail, phone, external id)."""
