"""Webhooks in the domain: given events, when a command, then events or a typed error."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import pytest

from domain.shared.errors import IdempotencyKeyReused, InvalidInput, NotAuthorized
from domain.shared.permissions import Role
from domain.webhooks.aggregate import WebhookNotAllowed
from domain.webhooks.handlers import SYSTEM_ACTOR, WebhookSecrets
from tests.unit.fakes import World, actor, req, world
from tests.usecases import UseCases


@dataclass
class Secrets:
    """A ten-line fake of the secrets port."""

    held: dict[UUID, str] = field(default_factory=dict)

    async def put(self, webhook_id: UUID, secret: str) -> None:
        self.held[webhook_id] = secret

    async def get(self, webhook_id: UUID) -> str | None:
        return self.held.get(webhook_id)

    async def delete(self, webhook_id: UUID) -> None:
        self.held.pop(webhook_id, None)


async def setup() -> tuple[World, UseCases, Secrets]:
    w = await world()
    secrets = Secrets()
    w.commands.handling.services[WebhookSecrets] = secrets
    return w, w.commands, secrets


async def events_of(w: World, stream: UUID) -> list[tuple[str, dict[str, object]]]:
    return [(e.event_type, e.payload) for e in await w.store.read_stream(stream)]


async def test_register_webhook_records_the_scope_and_filter_but_never_the_secret() -> None:
    w, hooks, secrets = await setup()
    street_admin = actor(Role.STREET_ADMIN, scope=w.street, subject="street-admin")
    head = await w.store.head()
    done = await hooks.register_webhook(req(street_admin), url=" https://grid.example.cn/hook ",
                                        event_types=["Member.TransferRequested"])
    [(kind, payload)] = await events_of(w, done.outcome.id)
    assert kind == "Webhook.Registered"
    assert payload == {"organization_id": str(w.street), "url": "https://grid.example.cn/hook",
                       "stream_types": None, "event_types": ["Member.TransferRequested"],
                       "description": None, "start_after": head}
    assert secrets.held[done.outcome.id] == done.secret and done.secret.startswith("whsec_")
    assert done.secret not in str(payload)


async def test_register_webhook_refuses_auditors_secretaries_and_foreign_scopes() -> None:
    w, hooks, _ = await setup()
    for who, org in ((actor(Role.AUDITOR, scope=w.street), None),
                     (actor(Role.COMMUNITY_SECRETARY, scope=w.east), None),
                     (actor(Role.STREET_ADMIN, scope=w.street), w.district),
                     (actor(Role.STREET_ADMIN, scope=w.east), w.west)):
        with pytest.raises(NotAuthorized):
            await hooks.register_webhook(req(who), url="https://a.example.cn/", organization_id=org)


@pytest.mark.parametrize("url", ["ftp://a.example.cn/x", "file:///etc/passwd", "https://",
                                 "https://user:pw@a.example.cn/", "a.example.cn/hook"])
async def test_register_webhook_refuses_urls_that_are_not_plain_http(url: str) -> None:
    w, hooks, _ = await setup()
    with pytest.raises(InvalidInput) as err:
        await hooks.register_webhook(req(w.admin), url=url)
    assert err.value.field == "url"


async def test_register_webhook_refuses_short_secrets_and_odd_type_names() -> None:
    w, hooks, _ = await setup()
    with pytest.raises(InvalidInput, match="secret"):
        await hooks.register_webhook(req(w.admin), url="https://a.example.cn/", secret="short")
    with pytest.raises(InvalidInput, match="type name"):
        await hooks.register_webhook(req(w.admin), url="https://a.example.cn/",
                                     stream_types=["Member; DROP"])


async def test_a_repeated_registration_returns_the_first_webhook_but_never_its_secret() -> None:
    w, hooks, secrets = await setup()
    first = await hooks.register_webhook(req(w.admin, idempotency_key="hook-1"),
                                         url="https://b.example.cn/")
    head = await w.store.head()
    again = await hooks.register_webhook(req(w.admin, idempotency_key="hook-1"),
                                         url="https://b.example.cn/")
    assert again.outcome.replayed and again.outcome.id == first.outcome.id
    assert first.secret is not None and first.secret.startswith("whsec_")
    assert again.secret is None  # the key is no credential: knowing it shows no secret
    assert await w.store.head() == head and secrets.held == {first.outcome.id: first.secret}
    with pytest.raises(IdempotencyKeyReused):
        await hooks.register_webhook(req(w.admin, idempotency_key="hook-1"),
                                     url="https://c.example.cn/")


async def test_pause_resume_and_remove_follow_the_webhook_status() -> None:
    w, hooks, _ = await setup()
    hook = (await hooks.register_webhook(req(w.admin), url="https://d.example.cn/",
                                         secret="s" * 20)).outcome.id
    with pytest.raises(WebhookNotAllowed):
        await hooks.resume_webhook(req(w.admin), hook)
    await hooks.pause_webhook(req(w.admin), hook, "receiver maintenance")
    with pytest.raises(WebhookNotAllowed):
        await hooks.pause_webhook(req(w.admin), hook, "again")
    await hooks.resume_webhook(req(w.admin), hook)
    await hooks.remove_webhook(req(w.admin), hook, "no longer needed")
    with pytest.raises(WebhookNotAllowed):
        await hooks.resume_webhook(req(w.admin), hook)
    assert [k for k, _ in await events_of(w, hook)] == [
        "Webhook.Registered", "Webhook.Paused", "Webhook.Resumed", "Webhook.Removed"]
    # The secret goes with the removal's projection (tests/integration/webhooks/), not here.


async def test_the_system_pauses_a_failing_webhook_once_and_says_so() -> None:
    w, hooks, _ = await setup()
    hook = (await hooks.register_webhook(req(w.admin), url="https://e.example.cn/")).outcome.id
    assert await hooks.suspend_failing_webhook(hook, "8 consecutive failures") is not None
    assert await hooks.suspend_failing_webhook(hook, "8 consecutive failures") is None
    paused = (await w.store.read_stream(hook))[-1]
    assert paused.event_type == "Webhook.Paused"
    assert paused.payload == {"reason": "8 consecutive failures", "automatic": True}
    assert paused.actor == SYSTEM_ACTOR.subject and paused.reason == "8 consecutive failures"


async def test_a_whole_system_webhook_is_not_a_scoped_admins_to_change() -> None:
    w, hooks, _ = await setup()
    hook = (await hooks.register_webhook(req(w.admin), url="https://f.example.cn/")).outcome.id
    with pytest.raises(NotAuthorized):
        await hooks.pause_webhook(req(actor(Role.STREET_ADMIN, scope=w.street)), hook, "mine?")


async def test_a_repeated_key_answers_only_while_the_actor_may_still_run_the_command() -> None:
    w, hooks, secrets = await setup()
    street_admin = actor(Role.STREET_ADMIN, scope=w.street, subject="zhang")
    first = await hooks.register_webhook(req(street_admin, idempotency_key="k1"), url="https://grid.example.cn/")
    again = await hooks.register_webhook(req(street_admin, idempotency_key="k1"), url="https://grid.example.cn/")
    assert again.outcome.replayed and again.outcome.id == first.outcome.id
    # The same subject, its token now an auditor's of another community: refused.
    demoted = actor(Role.AUDITOR, scope=w.west, subject="zhang")
    before = len(w.store.events)
    with pytest.raises(NotAuthorized):
        await hooks.register_webhook(req(demoted, idempotency_key="k1"), url="https://grid.example.cn/")
    assert len(w.store.events) == before and list(secrets.held) == [first.outcome.id]
