"""Webhook subscriptions: an outside system asks for matching events by signed HTTP POST.

The subscription is an aggregate like any other, so who registered, paused, resumed
or removed it (and why) is in the log. Its signing secret is not: the log is read by
auditors and relayed to NATS, so the secret lives in a table of its own (see
``domain.webhooks.handlers.WebhookSecrets``).
"""

from __future__ import annotations

import enum
import re
from urllib.parse import urlsplit
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import DomainError, InvalidInput

MAX_URL = 2000
MAX_DESCRIPTION = 300
MAX_FILTER_ITEMS = 50
_TYPE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$")


class WebhookStatus(enum.Enum):
    """Where a subscription stands."""

    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    REMOVED = "REMOVED"


def check_url(url: str) -> str:
    """Only absolute http(s) URLs with a host; no credentials in the URL."""
    cleaned = url.strip()
    if not cleaned or len(cleaned) > MAX_URL:
        raise InvalidInput(f"a webhook URL has 1–{MAX_URL} characters", field="url")
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("a webhook URL must start with http:// or https://", field="url")
    if not parts.hostname:
        raise InvalidInput("a webhook URL needs a host", field="url")
    if parts.username or parts.password:
        raise InvalidInput("put no credentials in a webhook URL; requests are signed",
                           field="url")
    if parts.fragment:
        raise InvalidInput("a webhook URL has no #fragment", field="url")
    return cleaned


def check_type_names(names: list[str] | None, field: str) -> list[str] | None:
    """Stream types (``Member``) or event types (``Member.TransferRequested``); None = all."""
    if names is None:
        return None
    cleaned = sorted({n.strip() for n in names})
    if not cleaned or len(cleaned) > MAX_FILTER_ITEMS:
        raise InvalidInput(f"give 1–{MAX_FILTER_ITEMS} names, or leave the filter out",
                           field=field)
    for name in cleaned:
        if not _TYPE_NAME.match(name):
            raise InvalidInput(f"{name!r} is not a type name", field=field)
    return cleaned


def check_description(text: str | None) -> str | None:
    cleaned = (text or "").strip() or None
    if cleaned is not None and len(cleaned) > MAX_DESCRIPTION:
        raise InvalidInput(f"a description has at most {MAX_DESCRIPTION} characters",
                           field="description")
    return cleaned


class Webhook(Aggregate):
    """A subscription: where to POST, which events, and whether deliveries run."""

    class Registered(Aggregate.Created):
        organization_id: UUID | None
        """The scope the subscription reads within (the owner's organization); None = all."""
        url: str
        stream_types: list[str] | None
        event_types: list[str] | None
        description: str | None
        start_after: int
        """Deliver events after this log position."""

    @event(Registered)
    def __init__(
        self,
        organization_id: UUID | None,
        url: str,
        stream_types: list[str] | None,
        event_types: list[str] | None,
        description: str | None,
        start_after: int,
    ) -> None:
        self.organization_id = organization_id
        self.url = url
        self.stream_types = stream_types
        self.event_types = event_types
        self.description = description
        self.start_after = start_after
        self.status = WebhookStatus.ACTIVE
        self.paused_reason: str | None = None

    @classmethod
    def create_id(cls, *args: object, **kwargs: object) -> UUID:
        return uuid4()

    def _ensure_not_removed(self) -> None:
        if self.status is WebhookStatus.REMOVED:
            raise WebhookNotAllowed("the webhook was removed")

    def pause(self, reason: str, automatic: bool = False) -> None:
        """Stop deliveries; the cursor stays where it is, so nothing is skipped."""
        self._ensure_not_removed()
        if self.status is WebhookStatus.PAUSED:
            raise WebhookNotAllowed("the webhook is already paused")
        self._paused(reason=reason, automatic=automatic)

    @event("Paused")
    def _paused(self, reason: str, automatic: bool) -> None:
        self.status = WebhookStatus.PAUSED
        self.paused_reason = reason

    def resume(self) -> None:
        """Deliver again, starting with the event the subscription stopped at."""
        self._ensure_not_removed()
        if self.status is WebhookStatus.ACTIVE:
            raise WebhookNotAllowed("the webhook is not paused")
        self._resumed()

    @event("Resumed")
    def _resumed(self) -> None:
        self.status = WebhookStatus.ACTIVE
        self.paused_reason = None

    def remove(self, reason: str | None) -> None:
        self._ensure_not_removed()
        self._removed(reason=reason)

    @event("Removed")
    def _removed(self, reason: str | None) -> None:
        self.status = WebhookStatus.REMOVED


class WebhookNotAllowed(DomainError):
    """The webhook's status does not allow this (already paused, not paused, removed)."""

    code = "WEBHOOK_NOT_ALLOWED"
