"""FAQ bot: knowledge base, retrieval, answer/handoff policy (issue 5)."""
