"""Customer satisfaction (CSAT) ratings of tickets and chats, and follow-up visits (回访)."""
