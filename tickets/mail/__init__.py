"""The e-mail channel of the ticket desk: team mailboxes, IMAP fetch into tickets, SMTP replies from an outbox (docs/email.md)."""
