"""REST API of the ticket desk for agents, supervisors and integrations (tokens): tickets, their timelines, work and bulk changes.

Thin: :mod:`tickets.api.schemas` checks types and sizes (and refuses fields it does not know),
:mod:`tickets.services` writes, :mod:`tickets.selectors` reads, :mod:`tickets.access` decides who
sees what — a ticket the caller may not see is 404, like a missing id. Customers have no access
here: the portal reads through :mod:`tickets.selectors.customer`, so no answer of this API ever
reaches a customer. Errors have one shape, {"code", "message", "details"?}.
"""
