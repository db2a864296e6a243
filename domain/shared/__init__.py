"""domain/shared."""
