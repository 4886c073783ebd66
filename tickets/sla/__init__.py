"""SLA policies and their clocks on tickets, in business hours (docs/sla.md)."""
