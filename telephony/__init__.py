"""Hotline: SIP endpoint, IVR, call queues, recordings (issue 8)."""
