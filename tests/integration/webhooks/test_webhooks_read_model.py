"""The ``webhooks`` read model and the secrets table against real PostgreSQL."""

from __future__ import annotations

import asyncpg

from projections.integrations.webhooks import WebhookSecretTable, sign, verify
from projections.webhooks import projection
from tests.integration.support import NOW, catch_up, commands, req
from tests.usecases import UseCases


def webhook_commands(pool: asyncpg.Pool) -> UseCases:
    return commands(pool, lambda: NOW, WebhookSecretTable(pool))


async def test_the_read_model_follows_registration_pause_resume_and_removal(
    dsn: str, pool: asyncpg.Pool,
) -> None:
    hooks = webhook_commands(pool)
    done = await hooks.register_webhook(req(), url="https://command-centre.example.cn/in",
                                        stream_types=["Member", "Organization"],
                                        description="网格化指挥中心", start_after=7)
    hook = done.outcome.id
    await catch_up(dsn, projection)
    row = await pool.fetchrow("SELECT * FROM webhooks WHERE id = $1", hook)
    assert (row["url"], row["stream_types"], row["event_types"], row["start_after"]) == (
        "https://command-centre.example.cn/in", ["Member", "Organization"], None, 7)
    assert (row["status"], row["registered_by"], row["version"]) == ("ACTIVE", "t", 1)
    assert row["organization_id"] is None
    assert await pool.fetchval("SELECT secret FROM webhook_secrets WHERE webhook_id = $1",
                               hook) == done.secret

    await hooks.suspend_failing_webhook(hook, "5 consecutive failed deliveries")
    await catch_up(dsn, projection)
    row = await pool.fetchrow("SELECT * FROM webhooks WHERE id = $1", hook)
    assert (row["status"], row["paused_automatically"], row["paused_by"]) == (
        "PAUSED", True, "system:webhook-delivery")
    assert row["paused_reason"] == "5 consecutive failed deliveries"

    await hooks.resume_webhook(req(), hook)
    await hooks.remove_webhook(req(), hook, "replaced")
    await catch_up(dsn, projection)
    row = await pool.fetchrow("SELECT * FROM webhooks WHERE id = $1", hook)
    assert (row["status"], row["paused_reason"], row["version"]) == ("REMOVED", None, 4)
    assert await pool.fetchval("SELECT count(*) FROM webhook_secrets") == 0


def test_a_signature_verifies_only_with_its_secret_body_and_a_fresh_timestamp() -> None:
    header = sign("whsec_abc", 1_767_000_000, b'{"position":1}')
    assert verify("whsec_abc", header, b'{"position":1}', now=1_767_000_100)
    assert not verify("whsec_abd", header, b'{"position":1}', now=1_767_000_100)
    assert not verify("whsec_abc", header, b'{"position":2}', now=1_767_000_100)
    assert not verify("whsec_abc", header, b'{"position":1}', now=1_767_000_301)
