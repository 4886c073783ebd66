"""The customer portal (magic-link sign-in, my tickets, replies, help) and the teams' public web forms."""
