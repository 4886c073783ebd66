"""Automation on the ticket desk: rules (on events and on time), message templates, macros and canned replies."""
