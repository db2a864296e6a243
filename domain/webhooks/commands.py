"""Webhook subscriptions' commands: register, pause, resume, remove, and the system's pause."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.shared.commands import Command
from domain.shared.permissions import ABOVE


@dataclass(frozen=True)
class RegisterWebhook(Command):
    """Register a subscription within ``organization_id`` (default: the actor's scope)."""

    action = "registerWebhook"
    allowed = ABOVE
    url: str
    organization_id: UUID | None = None
    stream_types: tuple[str, ...] | None = None
    event_types: tuple[str, ...] | None = None
    description: str | None = None
    secret: str | None = None
    """The signing secret; one is generated (and shown once) if none is given."""
    start_after: int | None = None
    """Deliver events after this log position (default: the head at registration)."""
    use_scope: bool = True
    """Whether a missing ``organization_id`` means the actor's scope (else: whole system)."""


@dataclass(frozen=True)
class WebhookCommand(Command):
    webhook_id: UUID


@dataclass(frozen=True)
class PauseWebhook(WebhookCommand):
    action = "pauseWebhook"
    allowed = ABOVE
    reason: str


@dataclass(frozen=True)
class ResumeWebhook(WebhookCommand):
    action = "resumeWebhook"
    allowed = ABOVE


@dataclass(frozen=True)
class RemoveWebhook(WebhookCommand):
    action = "removeWebhook"
    allowed = ABOVE
    reason: str | None = None


@dataclass(frozen=True)
class PauseFailingWebhook(WebhookCommand):
    """The delivery worker pauses a subscription that keeps failing (system only)."""

    action = "pauseFailingWebhook"
    allowed = frozenset()
    reason: str
