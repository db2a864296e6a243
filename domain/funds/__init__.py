"""domain/funds."""
