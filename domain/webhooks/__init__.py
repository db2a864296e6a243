"""domain/webhooks."""
