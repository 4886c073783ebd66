"""Ticket desk: tickets, SLA, automations, portal, e-mail (issues 6-7)."""
