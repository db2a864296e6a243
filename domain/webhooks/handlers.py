"""Webhook subscriptions' use cases: authorize → load → decide (``Handling`` appends).

The signing secret goes through the small
``WebhookSecrets`` port, never into an event: it is written before the
``Webhook.Registered`` event is appended, so no registered webhook lacks its secret
(a secret whose append then fails is an unused row, harmless).
"""

from __future__ import annotations

import secrets as random_secrets
from collections.abc import Sequence
from typing import Protocol
from uuid import UUID, uuid4

from domain.shared import events as ev
from domain.shared.commands import Outcome, Request, required_reason
from domain.shared.errors import InvalidInput, NotAuthorized, NotFound
from domain.shared.handling import Decision, Handler, Handling, Unit, changed
from domain.shared.permissions import Actor
from domain.webhooks.aggregate import (
    Webhook,
    WebhookNotAllowed,
    check_description,
    check_type_names,
    check_url,
)
from domain.webhooks.commands import (
    PauseFailingWebhook,
    PauseWebhook,
    RegisterWebhook,
    RemoveWebhook,
    ResumeWebhook,
    WebhookCommand,
)

SYSTEM_ACTOR = Actor(subject="system:webhook-delivery", name="Webhook delivery",
                     roles=frozenset(), scope=None, system=True)
"""Who pauses a subscription that keeps failing."""
MIN_SECRET, MAX_SECRET = 16, 200


class WebhookSecrets(Protocol):
    """Where signing secrets live, outside the log."""

    async def put(self, webhook_id: UUID, secret: str) -> None: ...

    async def get(self, webhook_id: UUID) -> str | None: ...

    async def delete(self, webhook_id: UUID) -> None: ...


def new_secret() -> str:
    return "whsec_" + random_secrets.token_urlsafe(32)


async def registered_secret(outcome: Outcome, secrets: WebhookSecrets | None = None) -> str | None:
    """The secret to show the registering client: the one just chosen, or None for a replay.

    A repeated idempotency key replays the first registration's answer without its
    secret: the key is no credential (it travels in logs and proxies, and once in the
    event's ``commandId``), so knowing it must not be enough to read the secret again.
    The secret is shown only in the answer to the command that stored it; ``secrets`` is
    never read for that (the parameter is kept for existing callers).
    """
    if outcome.replayed:
        return None
    return str(outcome.extra["secret"])


async def _authorize(unit: Unit, organization_id: UUID | None) -> None:
    if organization_id is None and unit.actor.scope is not None:
        raise NotAuthorized(f"a whole-system webhook is not yours to {unit.command.action}")
    await unit.authorize(organization_id, field="organizationId")


async def register_webhook(cmd: RegisterWebhook, unit: Unit) -> Decision:
    organization_id = cmd.organization_id
    if organization_id is None and cmd.use_scope:
        organization_id = unit.actor.scope
    await _authorize(unit, organization_id)
    url = check_url(cmd.url)
    streams = check_type_names(None if cmd.stream_types is None else list(cmd.stream_types), "streamTypes")
    types = check_type_names(None if cmd.event_types is None else list(cmd.event_types), "eventTypes")
    description = check_description(cmd.description)
    if cmd.secret is not None and not MIN_SECRET <= len(cmd.secret) <= MAX_SECRET:
        raise InvalidInput(f"a secret has {MIN_SECRET}–{MAX_SECRET} characters", field="secret")
    if cmd.start_after is not None and cmd.start_after < 0:
        raise InvalidInput("startAfter is a log position (0 or more)", field="startAfter")
    chosen = cmd.secret or new_secret()
    after = cmd.start_after if cmd.start_after is not None else await unit.store.head()
    hook = Webhook(organization_id=organization_id, url=url, stream_types=streams,
                   event_types=types, description=description, start_after=after)
    if not unit.replaying:
        await unit.need(WebhookSecrets).put(hook.id, chosen)  # type: ignore[type-abstract]
    return Decision(hook.id, ev.to_new_events(hook), private={"secret": chosen})


async def _webhook(unit: Unit, cmd: WebhookCommand) -> Webhook:
    hook = await unit.load(Webhook, cmd.webhook_id, "webhook")
    await _authorize(unit, hook.organization_id)
    unit.expect(hook)
    return hook


async def pause_webhook(cmd: PauseWebhook, unit: Unit) -> Decision:
    reason = required_reason(cmd.reason)
    hook = await _webhook(unit, cmd)
    hook.pause(reason)
    return changed(hook, reason=reason)


async def resume_webhook(cmd: ResumeWebhook, unit: Unit) -> Decision:
    hook = await _webhook(unit, cmd)
    hook.resume()
    return changed(hook)


async def remove_webhook(cmd: RemoveWebhook, unit: Unit) -> Decision:
    reason = (cmd.reason or "").strip() or None
    if reason is not None:
        reason = required_reason(reason)
    hook = await _webhook(unit, cmd)
    hook.remove(reason)
    # Its secret is deleted by the webhooks projection, with the removal (exactly once).
    return changed(hook, reason=reason)


async def pause_failing_webhook(cmd: PauseFailingWebhook, unit: Unit) -> Decision:
    unit.authorize_system()
    hook = await unit.load(Webhook, cmd.webhook_id, "webhook")
    hook.pause(cmd.reason[:500], automatic=True)
    return changed(hook, reason=cmd.reason[:500])


async def suspend_failing_webhook(handling: Handling, webhook_id: UUID, reason: str) -> Outcome | None:
    """Pause a subscription that keeps failing, as the system; None if it is not active."""
    try:
        return await handling.run(PauseFailingWebhook(webhook_id, reason), Request(SYSTEM_ACTOR, uuid4()))
    except (WebhookNotAllowed, NotFound):
        return None  # paused or removed by a person in the meantime


HANDLERS: dict[type, Handler] = {
    RegisterWebhook: register_webhook,
    PauseWebhook: pause_webhook,
    ResumeWebhook: resume_webhook,
    RemoveWebhook: remove_webhook,
    PauseFailingWebhook: pause_failing_webhook,
}

__all__: Sequence[str] = ["HANDLERS", "SYSTEM_ACTOR", "WebhookSecrets", "registered_secret", "suspend_failing_webhook"]
