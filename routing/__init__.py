"""Routing: queues, waiting entries, offers and assignment (issue 4); engine/ holds the pure decisions."""
