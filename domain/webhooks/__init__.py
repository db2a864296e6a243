"""Webhook subscriptions, event-sourced; their secrets are kept outside the log."""
