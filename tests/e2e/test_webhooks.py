"""Webhooks over real HTTP: the API server delivers to a real local receiver."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from domain.shared.permissions import Role
from tests.e2e.receiver import app_server, eventually, receiver, verified
from tests.e2e.test_transfer_walkthrough import build_tree, establish
from tests.nats_server import free_port

ROOT = Path(__file__).resolve().parents[2]

REGISTER = """
mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) { __typename
  ... on WebhookRegistration { secret position webhook { id status startAfter url } }
  ... on Error { code message field } } }"""
CHANGE = """
mutation($input: %(name)sInput!) { %(field)s(input: $input) { __typename
  ... on WebhookPayload { webhook { id status pausedReason pausedAutomatically version } }
  ... on Error { code message field } } }"""
WEBHOOK = """
query($id: ID!) { webhook(id: $id) { id status pausedReason pausedAutomatically
  consecutiveFailures deliveredThrough
  deliveries(first: 50) { edges { node { eventId position attempt status responseCode error
    nextRetryAt attemptedAt } } } } }"""


async def register(server: Any, token: str, url: str, **fields: Any) -> dict[str, Any]:
    data = await server.ok(token, REGISTER, {"input": {"url": url, **fields}})
    return data["registerWebhook"]  # type: ignore[no-any-return]


async def change(server: Any, token: str, field: str, **fields: Any) -> dict[str, Any]:
    query = CHANGE % {"name": field[0].upper() + field[1:], "field": field}
    return (await server.ok(token, query, {"input": fields}))[field]  # type: ignore[no-any-return]


async def webhook(server: Any, token: str, hook_id: str) -> dict[str, Any]:
    return (await server.ok(token, WEBHOOK, {"id": hook_id}))["webhook"]  # type: ignore[no-any-return]


async def log_after(dsn: str, position: int, stream_type: str | None = None) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT event_id FROM events WHERE position > $1 AND ($2::text IS NULL OR"
            " stream_type = $2) ORDER BY position", position, stream_type)
    finally:
        await conn.close()
    return [str(r["event_id"]) for r in rows]


async def test_deliveries_arrive_in_order_signed_and_carry_the_event_id(
    dsn: str, tmp_path: Path,
) -> None:
    async with receiver() as rx, app_server(dsn, tmp_path) as server:
        admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
        hook = await register(server, admin, rx.url, description="网格化指挥中心")
        assert hook["__typename"] == "WebhookRegistration", hook
        assert hook["secret"].startswith("whsec_")
        await build_tree(server, admin)
        expected = await log_after(dsn, hook["webhook"]["startAfter"])
        await eventually(lambda: len(rx.delivered) >= len(expected), 20, "the deliveries")

        assert rx.delivered_ids() == expected
        positions = [h.document["position"] for h in rx.delivered]
        assert positions == sorted(positions)
        first = rx.delivered[0]
        assert first.document["type"] == "Webhook.Registered"
        assert first.document["eventId"] == first.event_id
        assert first.headers["content-type"] == "application/json"
        assert first.headers["grassroots-webhook-id"] == hook["webhook"]["id"]
        assert all(verified(hook["secret"], h.headers["grassroots-signature"], h.body)
                   for h in rx.delivered)
        assert not verified("whsec_some-other-secret", first.headers["grassroots-signature"],
                            first.body)
        assert not verified(hook["secret"], first.headers["grassroots-signature"],
                            first.body + b" ")


async def test_a_failing_receiver_is_retried_with_backoff_and_then_succeeds(
    dsn: str, tmp_path: Path,
) -> None:
    async with receiver() as rx, app_server(dsn, tmp_path) as server:
        admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
        rx.fail_next = 2
        hook = await register(server, admin, rx.url, streamTypes=["Organization"])
        district = await establish(server, admin, kind="DISTRICT_COMMITTEE", name="吴中区委")
        await eventually(lambda: rx.delivered, 20, "a delivery after two failures")

        assert [h.status for h in rx.hits] == [500, 500, 200]
        assert {h.event_id for h in rx.hits} == {rx.hits[0].event_id}
        assert [h.headers["grassroots-delivery-attempt"] for h in rx.hits] == ["1", "2", "3"]
        assert rx.delivered[0].document["streamId"] == district
        state = await eventually(
            lambda: _with_deliveries(server, admin, hook["webhook"]["id"], 3), 10, "3 attempts")
        attempts = [e["node"] for e in state["deliveries"]["edges"]][::-1]
        assert [(a["attempt"], a["status"], a["responseCode"]) for a in attempts] == [
            (1, "FAILED", 500), (2, "FAILED", 500), (3, "DELIVERED", 200)]
        assert attempts[0]["error"] == "HTTP 500"
        assert attempts[0]["nextRetryAt"] > attempts[0]["attemptedAt"]
        assert attempts[2]["nextRetryAt"] is None
        assert state["consecutiveFailures"] == 0
        assert state["status"] == "ACTIVE"


async def _with_deliveries(server: Any, token: str, hook_id: str, n: int) -> dict[str, Any] | None:
    state = await webhook(server, token, hook_id)
    return state if len(state["deliveries"]["edges"]) >= n else None


async def test_a_receiver_that_keeps_failing_pauses_the_webhook_and_resuming_skips_nothing(
    dsn: str, tmp_path: Path,
) -> None:
    async with receiver() as rx, app_server(dsn, tmp_path) as server:
        admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
        rx.failing = True
        hook = await register(server, admin, rx.url, streamTypes=["Organization"])
        hook_id = hook["webhook"]["id"]
        await establish(server, admin, kind="DISTRICT_COMMITTEE", name="相城区委")

        async def paused() -> dict[str, Any] | None:
            state = await webhook(server, admin, hook_id)
            return state if state["status"] == "PAUSED" else None

        state = await eventually(paused, 20, "the webhook to be paused")
        assert state["pausedAutomatically"] is True
        assert "4 consecutive failed deliveries" in state["pausedReason"]
        assert "HTTP 500" in state["pausedReason"]
        assert len(rx.hits) == 4
        last = state["deliveries"]["edges"][0]["node"]
        assert last["attempt"] == 4 and last["nextRetryAt"] is None

        rx.failing = False
        resumed = await change(server, admin, "resumeWebhook", id=hook_id)
        assert resumed["webhook"]["status"] == "ACTIVE", resumed
        await eventually(lambda: rx.delivered, 20, "the delivery after resuming")
        assert rx.delivered[0].event_id == rx.hits[0].event_id


async def test_pause_resume_and_remove_hold_deliveries_back_and_stop_them(
    dsn: str, tmp_path: Path,
) -> None:
    async with receiver() as rx, app_server(dsn, tmp_path) as server:
        admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
        hook = await register(server, admin, rx.url, eventTypes=["Organization.Established"])
        hook_id = hook["webhook"]["id"]
        paused = await change(server, admin, "pauseWebhook", id=hook_id, reason="receiver upgrade")
        assert paused["webhook"]["status"] == "PAUSED"
        assert paused["webhook"]["pausedReason"] == "receiver upgrade"
        again = await change(server, admin, "pauseWebhook", id=hook_id, reason="twice")
        assert again["code"] == "WEBHOOK_NOT_ALLOWED", again

        await establish(server, admin, kind="DISTRICT_COMMITTEE", name="虎丘区委")
        stale = await change(server, admin, "resumeWebhook", id=hook_id, expectedVersion=1)
        assert stale["code"] == "VERSION_CONFLICT", stale
        assert rx.hits == []  # paused: held back

        resumed = await change(server, admin, "resumeWebhook", id=hook_id)
        assert resumed["webhook"]["status"] == "ACTIVE"
        await eventually(lambda: rx.delivered, 20, "the held-back event")
        assert [h.document["type"] for h in rx.delivered] == ["Organization.Established"]

        removed = await change(server, admin, "removeWebhook", id=hook_id, reason="retired")
        assert removed["webhook"]["status"] == "REMOVED"
        gone = await change(server, admin, "resumeWebhook", id=hook_id)
        assert gone["code"] == "WEBHOOK_NOT_ALLOWED"
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("SELECT count(*) FROM webhook_secrets") == 0
            history = await conn.fetch("SELECT event_type, actor, reason FROM events"
                                       " WHERE stream_type = 'Webhook' ORDER BY version")
            assert "whsec_" not in str(await conn.fetch("SELECT payload FROM events"))
        finally:
            await conn.close()
        assert [(r["event_type"], r["reason"]) for r in history] == [
            ("Webhook.Registered", None), ("Webhook.Paused", "receiver upgrade"),
            ("Webhook.Resumed", None), ("Webhook.Removed", "retired")]
        assert {r["actor"] for r in history} == {"district-admin"}


async def test_only_admins_within_scope_manage_webhooks_and_deliveries_stay_in_scope(
    dsn: str, tmp_path: Path,
) -> None:
    async with receiver() as rx, app_server(dsn, tmp_path) as server:
        admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
        district, street, east, _ = await build_tree(server, admin)
        other_street = await establish(server, admin, kind="STREET_WORKING_COMMITTEE",
                                       name="观前街道党工委", parentId=district,
                                       code="320508020000")
        auditor = server.token(Role.AUDITOR, scope=street, subject="auditor")
        secretary = server.token(Role.COMMUNITY_SECRETARY, scope=east, subject="secretary")
        street_admin = server.token(Role.STREET_ADMIN, scope=street, subject="street-admin")

        for token, org in ((auditor, street), (secretary, east), (street_admin, other_street),
                           (street_admin, district)):
            refused = await register(server, token, rx.url, organizationId=org)
            assert refused["__typename"] == "NotAuthorized", refused

        hook = await register(server, street_admin, rx.url, streamTypes=["Organization"])
        assert hook["__typename"] == "WebhookRegistration", hook
        listed = await server.ok(auditor,
                                 "{ webhooks { edges { node { id organization { id } } } } }")
        assert [e["node"] for e in listed["webhooks"]["edges"]] == [
            {"id": hook["webhook"]["id"], "organization": {"id": street}}]
        outside = server.token(Role.STREET_ADMIN, scope=other_street, subject="other-admin")
        none = await server.ok(outside, "{ webhooks { edges { node { id } } } }")
        assert none["webhooks"]["edges"] == []
        paused = await change(server, outside, "pauseWebhook", id=hook["webhook"]["id"], reason="x")
        assert paused["__typename"] == "NotAuthorized", paused

        inside = await establish(server, street_admin, kind="COMMUNITY_BRANCH",
                                 name="大儒巷社区党支部", parentId=street, code="320508019003")
        await establish(server, admin, kind="COMMUNITY_BRANCH", name="观前社区党支部",
                        parentId=other_street, code="320508020001")
        await eventually(lambda: rx.delivered, 20, "the in-scope event")
        await _settle(server, admin, hook["webhook"]["id"], dsn)
        assert [h.document["streamId"] for h in rx.delivered] == [inside]


async def _settle(server: Any, token: str, hook_id: str, dsn: str) -> None:
    """Wait until the webhook's cursor has passed the head of the log."""
    conn = await asyncpg.connect(dsn)
    try:
        head = await conn.fetchval("SELECT max(position) FROM events")
    finally:
        await conn.close()

    async def done() -> bool:
        return bool((await webhook(server, token, hook_id))["deliveredThrough"] >= head)
    await eventually(done, 20, "the webhook to pass the head")


async def test_the_example_receiver_accepts_signed_deliveries_and_refuses_forged_ones(
    dsn: str, tmp_path: Path,
) -> None:
    port = free_port()
    secret = "whsec_example-receiver-secret"
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "examples" / "webhook_receiver.py"), str(port),
        env={**os.environ, "WEBHOOK_SECRET": secret}, stdout=asyncio.subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/hook"
        async with httpx.AsyncClient() as client:
            async def forged() -> int | None:
                with contextlib.suppress(httpx.HTTPError):
                    response = await client.post(url, content=b"{}", headers={
                        "Grassroots-Signature": f"t={int(time.time())},v1=00"})
                    return response.status_code
                return None
            assert await eventually(forged, 10, "the example receiver") == 401
        async with app_server(dsn, tmp_path) as server:
            admin = server.token(Role.DISTRICT_ADMIN)
            await register(server, admin, url, secret=secret, streamTypes=["Organization"])
            district = await establish(server, admin, kind="DISTRICT_COMMITTEE", name="姑苏区委")
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), 20)
        assert "Organization.Established" in line.decode() and district in line.decode()
    finally:
        process.terminate()
        await process.wait()


async def _events(server: Any, token: str, stream_type: str) -> list[dict[str, Any]]:
    response = await server.client.get(f"{server.url}/events", params={"stream_type": stream_type},
                                       headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["events"]  # type: ignore[no-any-return]


async def test_bad_urls_are_validation_errors_and_a_replay_never_shows_the_secret_again(
    dsn: str, tmp_path: Path,
) -> None:
    async with app_server(dsn, tmp_path) as server:
        admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
        before = await log_after(dsn, 0)
        for url in ("http://１２７.０.０.１:18796/", "http://127.0.0.1:99999/", "http://[::1/x"):
            refused = await register(server, admin, url)
            assert (refused["__typename"], refused["code"], refused["field"]) == (
                "ValidationError", "INVALID_INPUT", "url"), refused
        assert await log_after(dsn, 0) == before  # nothing appended

        # Registered once; the same key again replays the answer without the secret.
        district = await establish(server, admin, kind="DISTRICT_COMMITTEE", name="吴江区委")
        fields = {"streamTypes": ["NoSuchStream"], "idempotencyKey": "hook-key-1",
                  "organizationId": district}
        first = await register(server, admin, "http://127.0.0.1:9/hook", **fields)
        again = await register(server, admin, "http://127.0.0.1:9/hook", **fields)
        assert first["secret"].startswith("whsec_"), first
        assert again["secret"] is None, again
        assert again["webhook"]["id"] == first["webhook"]["id"]
        assert again["position"] == first["position"]
        assert await log_after(dsn, first["position"]) == []

        # The key in the log: its issuer sees it, no other reader does.
        other_admin = server.token(Role.DISTRICT_ADMIN, subject="other-admin")
        auditor = server.token(Role.AUDITOR, scope=district, subject="auditor")
        seen = {}
        for name, token in (("issuer", admin), ("other", other_admin), ("auditor", auditor)):
            (registered,) = [e for e in await _events(server, token, "Webhook")
                             if e["streamId"] == first["webhook"]["id"]]
            seen[name] = registered["commandId"]
        assert seen == {"issuer": "hook-key-1", "other": None, "auditor": None}
        replayed = await register(server, other_admin, "http://127.0.0.1:9/hook", **fields)
        assert replayed["webhook"]["id"] != first["webhook"]["id"]  # keys are per subject
