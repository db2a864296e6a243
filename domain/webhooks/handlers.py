"""Command handlers for webhook subscriptions: register, pause, resume, remove.

They reuse ``Commands.run`` (idempotency keys, bounded retries on version conflicts)
and the one authorization module. The signing secret goes through the small
``WebhookSecrets`` port, never into an event: it is written before the
``Webhook.Registered`` event is appended, so no registered webhook lacks its secret
(a secret whose append then fails is an unused row, harmless).
"""

from __future__ import annotations

import secrets as random_secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID, uuid4

from domain.shared import events as ev
from domain.shared.errors import InvalidInput, NotAuthorized
from domain.shared.handling import _NO_META, Clock, Commands, Directory, Outcome, Request
from domain.shared.permissions import Action, Actor
from domain.shared.ports import Append, EventStore
from domain.webhooks.aggregate import (
    Webhook,
    WebhookNotAllowed,
    WebhookStatus,
    check_description,
    check_type_names,
    check_url,
)

ev.register(Webhook)

SYSTEM_ACTOR = Actor(subject="system:webhook-delivery", name="Webhook delivery",
                     roles=frozenset(), scope=None)
"""Who pauses a subscription that keeps failing."""
MIN_SECRET, MAX_SECRET = 16, 200


class WebhookSecrets(Protocol):
    """Where signing secrets live, outside the log."""

    async def put(self, webhook_id: UUID, secret: str) -> None: ...

    async def get(self, webhook_id: UUID) -> str | None: ...

    async def delete(self, webhook_id: UUID) -> None: ...


@dataclass(frozen=True)
class Registration:
    """A registered webhook and its signing secret (shown to the registering client)."""

    outcome: Outcome
    secret: str


def new_secret() -> str:
    return "whsec_" + random_secrets.token_urlsafe(32)


class WebhookCommands:
    """The use cases of webhook subscriptions."""

    def __init__(self, store: EventStore, directory: Directory, clock: Clock,
                 secrets: WebhookSecrets) -> None:
        self.core = Commands(store, directory, clock)
        self.store = store
        self.secrets = secrets

    async def _load(self, webhook_id: UUID) -> Webhook:
        return await self.core.load(Webhook, webhook_id, "webhook")  # type: ignore[type-var]

    async def _authorize(self, req: Request, action: Action, organization_id: UUID | None) -> None:
        if organization_id is None and req.actor.scope is not None:
            raise NotAuthorized(f"a whole-system webhook is not yours to {action.value}")
        await self.core.authorize(req, action, organization_id)

    async def register_webhook(
        self, req: Request, *, url: str, organization_id: UUID | None = None,
        stream_types: list[str] | None = None, event_types: list[str] | None = None,
        description: str | None = None, secret: str | None = None,
        start_after: int | None = None, use_scope: bool = True,
    ) -> Registration:
        """Register a subscription within ``organization_id`` (default: the actor's scope)."""
        if organization_id is None and use_scope:
            organization_id = req.actor.scope
        await self._authorize(req, Action.REGISTER_WEBHOOK, organization_id)
        url = check_url(url)
        streams = check_type_names(stream_types, "streamTypes")
        types = check_type_names(event_types, "eventTypes")
        description = check_description(description)
        if secret is not None and not MIN_SECRET <= len(secret) <= MAX_SECRET:
            raise InvalidInput(f"a secret has {MIN_SECRET}–{MAX_SECRET} characters", field="secret")
        if start_after is not None and start_after < 0:
            raise InvalidInput("startAfter is a log position (0 or more)", field="startAfter")
        chosen = secret or new_secret()

        async def decide() -> tuple[UUID, Append]:
            after = start_after if start_after is not None else await self.store.head()
            hook = Webhook(organization_id=organization_id, url=url, stream_types=streams,
                           event_types=types, description=description, start_after=after)
            await self.secrets.put(hook.id, chosen)
            return hook.id, Append(ev.to_new_events(hook), _NO_META)

        payload = {"org": organization_id, "url": url, "streams": streams, "types": types,
                   "after": start_after, "description": description}
        outcome = await self.core.run(req, Action.REGISTER_WEBHOOK, payload, decide)
        if outcome.replayed:
            # The same client repeating its own request (same key) gets its secret again.
            chosen = await self.secrets.get(outcome.id) or ""
        return Registration(outcome, chosen)

    async def _change(self, req: Request, action: Action, webhook_id: UUID, payload: dict[str, Any],
                      change: Callable[[Webhook], None], reason: str | None = None) -> Outcome:
        hook = await self._load(webhook_id)
        await self._authorize(req, action, hook.organization_id)

        async def decide() -> tuple[UUID, Append]:
            fresh = await self._load(webhook_id)
            self.core.check_expected(req, fresh)  # type: ignore[arg-type]
            change(fresh)
            return fresh.id, Append(ev.to_new_events(fresh), _NO_META)

        return await self.core.run(req, action, payload, decide, reason)

    async def pause_webhook(self, req: Request, webhook_id: UUID, reason: str) -> Outcome:
        reason = _reason(reason)
        return await self._change(req, Action.PAUSE_WEBHOOK, webhook_id,
                                  {"id": webhook_id, "reason": reason},
                                  lambda h: h.pause(reason), reason)

    async def resume_webhook(self, req: Request, webhook_id: UUID) -> Outcome:
        return await self._change(req, Action.RESUME_WEBHOOK, webhook_id, {"id": webhook_id},
                                  lambda h: h.resume())

    async def remove_webhook(self, req: Request, webhook_id: UUID,
                             reason: str | None = None) -> Outcome:
        cleaned = (reason or "").strip() or None
        outcome = await self._change(req, Action.REMOVE_WEBHOOK, webhook_id,
                                     {"id": webhook_id, "reason": cleaned},
                                     lambda h: h.remove(cleaned), cleaned)
        await self.secrets.delete(webhook_id)
        return outcome

    async def suspend_failing_webhook(self, webhook_id: UUID, reason: str) -> Outcome | None:
        """Pause a subscription that keeps failing, as the system; None if it is not active."""
        req = Request(SYSTEM_ACTOR, uuid4())

        async def decide() -> tuple[UUID, Append]:
            hook = await self._load(webhook_id)
            hook.pause(reason, automatic=True)
            return hook.id, Append(ev.to_new_events(hook), _NO_META)

        hook = await self._load(webhook_id)
        if hook.status is not WebhookStatus.ACTIVE:
            return None
        try:
            return await self.core.run(req, Action.PAUSE_WEBHOOK, {}, decide, reason[:500])
        except WebhookNotAllowed:
            return None  # paused or removed by a person in the meantime


def _reason(reason: str | None) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise InvalidInput("a reason is required", field="reason")
    if len(cleaned) > 500:
        raise InvalidInput("a reason has at most 500 characters", field="reason")
    return cleaned


__all__: Sequence[str] = ["SYSTEM_ACTOR", "Registration", "WebhookCommands", "WebhookSecrets"]
