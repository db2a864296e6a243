"""Done means: after the relay and the server were each killed once under load, a
JetStream consumer and a webhook receiver end with the same set of event ids as the log.

The server (``grassroots serve``) and the relay (``grassroots relay nats``) run as real
processes against the test's database and a real nats-server; load comes from four
clients over HTTP that retry with the same idempotency key while the server is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from api.auth import mint
from api.config import IntegrationSettings
from domain.shared.permissions import Role
from tests.e2e.conftest import SECRET
from tests.e2e.receiver import app_server, eventually, receiver, verified
from tests.nats_server import free_port, nats_server, nats_url, read_stream  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
ESTABLISH = """mutation($input: EstablishOrganizationInput!) {
  establishOrganization(input: $input) {
  __typename ... on OrganizationPayload { organization { id } } } }"""
REGISTER = """mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) {
  ... on WebhookRegistration { secret webhook { id startAfter } }
  ... on Error { code message } } }"""


class Processes:
    """The server and relay processes of one test."""

    def __init__(self, env: dict[str, str], port: int, logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.port = port
        self.server: asyncio.subprocess.Process | None = None
        self.relay: asyncio.subprocess.Process | None = None

    async def _spawn(self, *args: str) -> asyncio.subprocess.Process:
        with (self.logs / f"{args[0]}.log").open("ab") as log:
            return await asyncio.create_subprocess_exec(
                sys.executable, "-m", "api.cli.main", *args, cwd=ROOT, env=self.env,
                stdout=asyncio.subprocess.DEVNULL, stderr=log)

    async def start_server(self) -> None:
        self.server = await self._spawn("serve", "--port", str(self.port))
        async with httpx.AsyncClient() as client:
            async def up() -> bool:
                with contextlib.suppress(httpx.HTTPError):
                    ready = await client.get(f"http://127.0.0.1:{self.port}/readyz")
                    return ready.status_code == 200
                return False
            try:
                await eventually(up, 60, "the server to be ready")
            except AssertionError as exc:
                log = (self.logs / "serve.log").read_text(errors="replace")[-3000:]
                raise AssertionError(f"{exc}; server log:\n{log}") from exc

    async def start_relay(self) -> None:
        self.relay = await self._spawn("relay", "nats")

    @staticmethod
    async def kill(process: asyncio.subprocess.Process | None) -> None:
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGKILL)
            await process.wait()

    async def stop(self) -> None:
        for process in (self.server, self.relay):
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    await self.kill(process)


async def _load(url: str, token: str, stop: asyncio.Event, client_no: int) -> int:
    """Establish district roots until told to stop; retry each with its key while down."""
    done = 0
    async with httpx.AsyncClient(timeout=10) as client:
        while not stop.is_set():
            key = f"load-{client_no}-{done}"
            body = {"query": ESTABLISH, "variables": {"input": {
                "kind": "DISTRICT_COMMITTEE", "name": f"负载区委 {client_no}-{done}",
                "idempotencyKey": key}}}
            while True:
                try:
                    response = await client.post(url, json=body,
                                                 headers={"authorization": f"Bearer {token}"})
                    if response.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.05)
            done += 1
    return done


async def test_consumer_and_receiver_match_the_log_after_the_relay_and_the_server_were_killed(
    dsn: str, tmp_path: Path, nats_url: str,  # noqa: F811
) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": dsn, "GRASSROOTS_JWT_SECRET": SECRET,
           "GRASSROOTS_DATA_DIR": str(tmp_path), "GRASSROOTS_NATS_URL": nats_url,
           "GRASSROOTS_WEBHOOK_BACKOFF_INITIAL": "0.05", "GRASSROOTS_WEBHOOK_BACKOFF_MAX": "0.5",
           "GRASSROOTS_WEBHOOK_MAX_FAILURES": "1000", "GRASSROOTS_LOG_LEVEL": "WARNING"}
    procs = Processes(env, port, tmp_path)
    token = mint(SECRET, subject="district-admin", name="Admin", roles=[Role.DISTRICT_ADMIN],
                 scope=None)
    graphql = f"http://127.0.0.1:{port}/graphql"
    async with receiver() as rx:
        try:
            await procs.start_server()
            await procs.start_relay()
            async with httpx.AsyncClient() as client:
                response = await client.post(
                    graphql, json={"query": REGISTER, "variables": {"input": {"url": rx.url}}},
                    headers={"authorization": f"Bearer {token}"})
                reply = response.json()
            hook = reply["data"]["registerWebhook"]
            stop = asyncio.Event()
            load = [asyncio.create_task(_load(graphql, token, stop, n)) for n in range(4)]

            await eventually(lambda: len(rx.delivered) > 20, 30, "deliveries under load")
            await procs.kill(procs.relay)
            await asyncio.sleep(0.5)
            await procs.start_relay()
            await asyncio.sleep(0.5)
            delivered_before = len(rx.delivered)
            await procs.kill(procs.server)
            await asyncio.sleep(0.3)
            await procs.start_server()
            await eventually(lambda: len(rx.delivered) > delivered_before + 20, 30,
                             "deliveries after the restart")
            stop.set()
            made = await asyncio.gather(*load)
            assert sum(made) > 40

            pool = await asyncpg.connect(dsn)
            try:
                head = await pool.fetchval("SELECT max(position) FROM events")

                async def caught_up() -> bool:
                    relay = await pool.fetchval(
                        "SELECT position FROM relay_positions WHERE name = 'nats'")
                    cursor = await pool.fetchval("SELECT position FROM webhook_cursors")
                    return bool(relay >= head and cursor >= head)

                await eventually(caught_up, 60, "the relay and the webhook to reach the head")
                log = [str(r["event_id"]) for r in await pool.fetch(
                    "SELECT event_id FROM events ORDER BY position")]
                hooked = [str(r["event_id"]) for r in await pool.fetch(
                    "SELECT event_id FROM events WHERE position > $1 ORDER BY position",
                    hook["webhook"]["startAfter"])]
            finally:
                await pool.close()
        finally:
            await procs.stop()

        consumed = [m.headers["Nats-Msg-Id"] for m in await read_stream(nats_url)]
        assert len(consumed) == len(set(consumed)), "the JetStream consumer saw an event twice"
        assert set(consumed) == set(log)
        received = rx.delivered_ids()
        assert set(received) == set(hooked), "the receiver lost events (or got foreign ones)"
        assert all(verified(hook["secret"], h.headers["grassroots-signature"], h.body)
                   for h in rx.delivered)
        first_seen = list(dict.fromkeys(received))
        assert first_seen == hooked, "deliveries came out of log order"


async def test_serve_can_run_the_relay_in_process(dsn: str, tmp_path: Path,
                                                  nats_url: str) -> None:  # noqa: F811
    settings = IntegrationSettings(nats_url=nats_url, relay_nats=True)
    async with app_server(dsn, tmp_path, settings) as server:
        admin = server.token(Role.DISTRICT_ADMIN)
        name = f"在线区委 {uuid.uuid4().hex[:6]}"
        await server.ok(admin, ESTABLISH, {"input": {"kind": "DISTRICT_COMMITTEE", "name": name}})

        async def published() -> list[Any]:
            with contextlib.suppress(Exception):
                return [m for m in await read_stream(nats_url)
                        if m.subject == "grassroots.Organization.Established"]
            return []

        messages = await eventually(published, 20, "the relayed event")
    assert messages[0].headers["Nats-Msg-Id"]
