"""The shared kernel: customers, staff, inboxes (channels), events and error types."""
