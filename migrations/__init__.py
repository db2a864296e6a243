"""Numbered SQL migrations; ``eventstore.migrate`` applies them in order."""
