"""domain/members."""
