"""domain/organizations."""
