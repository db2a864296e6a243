"""The NATS JetStream relay against a real nats-server and real PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg

from api.config import Settings
from domain.shared import upcasting
from projections.integrations.nats import NatsRelay, RelayConfig, relay_config, subject_for
from tests.integration.support import TICK, append_events, cancel, head, wait_until
from tests.nats_server import nats_server, nats_url, read_stream  # noqa: F401

ROOT = Path(__file__).resolve().parents[3]


async def relay_position(pool: asyncpg.Pool, name: str = "nats") -> int:
    return int(await pool.fetchval(
        "SELECT coalesce(max(position), 0) FROM relay_positions WHERE name = $1", name))


async def log_ids(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch("SELECT event_id FROM events ORDER BY position")
    return [str(r["event_id"]) for r in rows]


def ids_of(messages: list[Any]) -> list[str]:
    return [m.headers["Nats-Msg-Id"] for m in messages]


async def relay_until_head(dsn: str, pool: asyncpg.Pool, config: RelayConfig) -> None:
    task = asyncio.create_task(NatsRelay(dsn, config).run())
    try:
        target = await head(pool)
        await wait_until(lambda: _reached(pool, config.name, target), 30, "the relay at the head")
    finally:
        await cancel(task)


async def _reached(pool: asyncpg.Pool, name: str, target: int) -> bool:
    return await relay_position(pool, name) >= target


def test_subjects_name_the_stream_type_and_the_event() -> None:
    assert subject_for("Member", "Member.TransferRequested") == (
        "grassroots.Member.TransferRequested")
    assert subject_for("Organization", "Organization.Established") == (
        "grassroots.Organization.Established")
    assert subject_for("Odd Type", "Odd*Thing>") == "grassroots.Odd_Type.Odd_Thing_"


async def test_relay_publishes_every_event_once_with_its_id_as_message_id(
    dsn: str, pool: asyncpg.Pool, nats_url: str,  # noqa: F811
) -> None:
    await append_events(pool, 321, TICK, batch=100)
    await relay_until_head(dsn, pool, replace(relay_config(Settings().integrations), nats_url=nats_url, page_size=50))

    messages = await read_stream(nats_url)
    assert ids_of(messages) == await log_ids(pool)
    first = messages[0]
    body = json.loads(first.data)
    row = await pool.fetchrow("SELECT * FROM events ORDER BY position LIMIT 1")
    assert first.subject == "grassroots.Test.Ticked"
    assert first.headers["Grassroots-Position"] == str(row["position"])
    assert body["eventId"] == str(row["event_id"])
    assert body["position"] == row["position"]
    assert body["type"] == "Test.Ticked"
    assert body["streamId"] == str(row["stream_id"]) and body["streamType"] == "Test"
    assert body["version"] == 1 and body["actor"] == "t"
    assert body["correlationId"] == str(row["correlation_id"])
    assert body["payload"] == {"n": 1}
    assert await relay_position(pool) == await head(pool)


async def test_a_restarted_relay_continues_where_it_stopped_and_repeats_are_dropped(
    dsn: str, pool: asyncpg.Pool, nats_url: str,  # noqa: F811
) -> None:
    config = replace(relay_config(Settings().integrations), nats_url=nats_url, page_size=40)
    await append_events(pool, 150, TICK)
    await relay_until_head(dsn, pool, config)
    # As if the relay had crashed after publishing the last 90 but before recording them.
    await pool.execute("UPDATE relay_positions SET position = position - 90")
    await append_events(pool, 60, TICK)
    await relay_until_head(dsn, pool, config)

    messages = await read_stream(nats_url)
    assert ids_of(messages) == await log_ids(pool)
    assert len(messages) == 210


async def test_relays_with_the_same_name_take_turns(
    dsn: str, pool: asyncpg.Pool, nats_url: str,  # noqa: F811
) -> None:
    config = replace(relay_config(Settings().integrations), nats_url=nats_url)
    first, second = NatsRelay(dsn, config), NatsRelay(dsn, config)
    tasks = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]
    try:
        await wait_until(lambda: first.state.active or second.state.active, 10, "one active relay")
        await asyncio.sleep(0.3)
        assert [first.state.active, second.state.active].count(True) == 1
        await append_events(pool, 75, TICK)
        target = await head(pool)
        await wait_until(lambda: _reached(pool, "nats", target), 10, "the relay to catch up")
    finally:
        for task in tasks:
            await cancel(task)
    assert ids_of(await read_stream(nats_url)) == await log_ids(pool)


class WorkerOutput:
    """The relay worker's stdout, parsed as it arrives."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.acked = 0
        self.committed = 0
        self.active = False
        self._task = asyncio.create_task(self._read(stream))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            word, _, value = line.decode().strip().partition(" ")
            if word == "acked":
                self.acked = int(value)
            elif word == "committed":
                self.committed = int(value)
            elif word == "active":
                self.active = True

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._task, 5)


async def _spawn_worker(dsn: str, url: str) -> tuple[asyncio.subprocess.Process, WorkerOutput]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.relay_worker", dsn, url,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    return process, WorkerOutput(process.stdout)


async def test_a_relay_killed_mid_batch_while_events_are_appended_loses_and_duplicates_nothing(
    dsn: str, pool: asyncpg.Pool, nats_url: str,  # noqa: F811
) -> None:
    await append_events(pool, 3000, TICK)
    stop = asyncio.Event()

    async def keep_appending() -> None:
        while not stop.is_set():
            await append_events(pool, 40, TICK, batch=20)
            await asyncio.sleep(0.005)

    appender = asyncio.create_task(keep_appending())
    process, output = await _spawn_worker(dsn, nats_url)
    try:
        # Killed once JetStream has acknowledged events of a page whose position is not
        # yet recorded: those are published again after the restart.
        await wait_until(lambda: output.committed > 0 and output.acked > output.committed + 20,
                         30, "the relay to be in the middle of a page")
        process.send_signal(signal.SIGKILL)
        await process.wait()
        await output.close()

        process, output = await _spawn_worker(dsn, nats_url)
        await wait_until(lambda: output.active, 10, "the restarted relay")
        await asyncio.sleep(0.3)
    finally:
        stop.set()
        await appender
    try:
        target = await head(pool)
        await wait_until(lambda: _reached(pool, "nats", target), 30, "the relay to catch up")
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
        await output.close()

    consumed = ids_of(await read_stream(nats_url))
    expected = await log_ids(pool)
    assert len(consumed) == len(set(consumed)), "a consumer saw an event twice"
    assert consumed == expected, "the stream lost, repeated or reordered events"


class _Declared:
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> dict[str, Any]:
        return {"count": state["n"]}


async def test_the_relay_publishes_current_shapes_and_stops_at_an_event_written_by_newer_code(
    dsn: str, pool: asyncpg.Pool, nats_url: str,  # noqa: F811
) -> None:
    upcasting.declare(TICK, _Declared)
    try:
        last = await append_events(pool, 3, TICK)  # stored at schema_version 1: {"n": v}
        # As if newer code had written version 3 (this code reads 1..2):
        await pool.execute(
            "INSERT INTO events (stream_id, stream_type, version, event_id, event_type,"
            " schema_version, payload, actor, actor_roles, correlation_id)"
            " VALUES (gen_random_uuid(), 'Test', 1, gen_random_uuid(), $1, 3, '{}', 't', '{}',"
            " gen_random_uuid())", TICK)
        relay = NatsRelay(dsn, replace(relay_config(Settings().integrations), nats_url=nats_url))
        task = asyncio.create_task(relay.run())
        try:
            await wait_until(lambda: _reached(pool, "nats", last), 20, "the readable events")
            await wait_until(lambda: relay.state.last_error is not None, 20, "the relay to stop")
            assert "UnknownSchemaVersion" in str(relay.state.last_error)
            await asyncio.sleep(0.3)
            assert await relay_position(pool) == last  # not past the unreadable event
        finally:
            await cancel(task)
        messages = await read_stream(nats_url)
        assert [json.loads(m.data)["payload"] for m in messages] == [
            {"count": 1}, {"count": 2}, {"count": 3}]
        assert {json.loads(m.data)["schemaVersion"] for m in messages} == {2}
    finally:
        upcasting.forget(TICK)
