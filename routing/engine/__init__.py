"""Pure routing decisions on snapshots: no Django, no I/O (import-linter enforces it)."""
