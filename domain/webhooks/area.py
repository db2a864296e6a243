"""Webhook subscriptions: event-sourced, their secrets kept outside the log."""

from domain.shared.area import DomainArea
from domain.webhooks.aggregate import Webhook
from domain.webhooks.handlers import HANDLERS

AREA = DomainArea("webhooks", aggregates=(Webhook,), handlers=HANDLERS)
