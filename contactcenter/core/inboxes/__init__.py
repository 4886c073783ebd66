"""Channels a contact arrives through: widget installs, hotline, e-mail, web forms."""
