"""Webhook subscriptions' typed errors."""

from api.graphql.core.errors import error_type
from domain.webhooks.aggregate import WebhookNotAllowed as WebhookNotAllowedError

WebhookNotAllowed = error_type("WebhookNotAllowed",
                               "The webhook's status does not allow this (paused, active, removed).",
                               WebhookNotAllowedError)
ERRORS = (WebhookNotAllowed,)
