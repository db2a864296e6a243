"""Witnesses keep every signed checkpoint outside the database, and ``verify --witness``
finds what the database alone cannot: a deleted or rolled-back checkpoint, a rewritten
one, a history that no longer extends a witnessed tree (issue 10, item 7)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import nats
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.config import IntegritySettings, Settings
from api.witnesses import build_witness
from eventstore.integrity.encoding import Checkpoint, sign_checkpoint, timestamp_text
from eventstore.integrity.verify import verify_log
from eventstore.integrity.witness import DirectoryWitness, NatsWitness, Witness, document
from eventstore.integrity.witness_check import WitnessReport, check_witness, describe
from eventstore.integrity.witness_publisher import WitnessPublisher, publish_pending, witness_status
from eventstore.integrity.witness_targets import parse_target
from tests.e2e.receiver import serve
from tests.integration.integrity_support import hash_and_sign
from tests.integration.support import append_events, cancel, wait_until
from tests.nats_server import NatsServer, nats_server  # noqa: F401

KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key()


def directory(path: Path) -> DirectoryWitness:
    return DirectoryWitness(parse_target(f"dir:{path}"), 5.0)


def names(folder: Path) -> list[str]:
    """The files in ``folder`` (temporary ones included), sorted."""
    return sorted(p.name for p in folder.iterdir())


async def check(dsn: str, witness: Witness) -> WitnessReport:
    """What ``verify --witness`` does for one witness."""
    conn = await asyncpg.connect(dsn)
    try:
        return await check_witness(conn, witness.name, await witness.read(), PUBLIC)
    finally:
        await conn.close()


async def as_superuser(dsn: str, sql: str, *args: object) -> None:
    """Run ``sql`` with the integrity tables' append-only triggers off, as a hostile DBA can."""
    tables = ("events", "event_leaves", "merkle_nodes", "checkpoints")
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for table in tables:
                await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            await conn.execute(sql, *args)
            for table in tables:
                await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    finally:
        await conn.close()


async def two_checkpoints(dsn: str, pool: asyncpg.Pool) -> tuple[Checkpoint, Checkpoint]:
    await append_events(pool, 40, batch=8)
    first = await hash_and_sign(dsn, KEY)
    await append_events(pool, 25, batch=5)
    return first, await hash_and_sign(dsn, KEY)


def deleted(cp: Checkpoint, latest: Checkpoint) -> str:
    return (f"checkpoint #{cp.id} (tree size {cp.tree_size}, signed at {timestamp_text(cp.signed_at)})"
            " is on the witness but not in the database: it was deleted, and the database's latest"
            f" checkpoint is #{latest.id} of tree size {latest.tree_size}: the log was rolled back")


async def test_a_deleted_checkpoint_is_named_by_the_directory_witness_that_holds_its_copy(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    (tmp_path / "auditor").mkdir()
    witness = directory(tmp_path / "auditor")
    first, second = await two_checkpoints(dsn, pool)
    assert (await publish_pending(pool, witness)).published == 2
    assert names(tmp_path / "auditor") == [
        f"checkpoint-{first.id:012d}-{40:012d}.json", f"checkpoint-{second.id:012d}-{65:012d}.json"]
    clean = await check(dsn, witness)
    assert (clean.ok, clean.witnessed, clean.matched, clean.consistent) == (True, 2, 2, 2)
    assert clean.summary() == (f"witness {witness.name}: clean: 2 witnessed checkpoint(s), 2 equal to the"
                               " database's, the database's latest (tree size 65) extends all of them")

    await as_superuser(dsn, "DELETE FROM checkpoints WHERE id = $1", second.id)
    alone = await verify_log(dsn, PUBLIC, chunk_level=4)
    assert (alone.ok, alone.checkpoints_ok, alone.checkpoints) == (True, 1, 1)  # the database alone: case 22
    report = await check(dsn, witness)
    assert report.problems == [deleted(second, first)]
    assert "tree size 65" in report.summary() and "1 problem(s)" in report.summary()


async def test_a_witness_that_was_down_gets_every_checkpoint_it_missed_in_order(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    share = tmp_path / "share"  # not mounted yet: the publisher must not create it
    witness = directory(share)
    publisher = WitnessPublisher(dsn, [witness], poll=0.2, backoff_initial=0.02, backoff_max=0.1)
    task = asyncio.create_task(publisher.run())
    try:
        signed = []
        for n in (10, 20, 30):  # signing goes on while the witness is down
            await append_events(pool, n)
            signed.append(await hash_and_sign(dsn, KEY))

        async def failing() -> bool:
            [status] = await witness_status(pool, [witness.name])
            return status.failures >= 2
        await wait_until(failing, 10, "failed attempts to be recorded")
        [status] = await witness_status(pool, [witness.name])
        assert (status.lag, status.checkpoint_id, status.oldest_unpublished_at) == (
            3, 0, signed[0].signed_at)
        assert status.last_error is not None and "does not exist (not mounted?)" in status.last_error
        assert not share.exists()

        share.mkdir()

        async def caught_up() -> bool:
            [status] = await witness_status(pool, [witness.name])
            return status.lag == 0
        await wait_until(caught_up, 10, "the witness to catch up")
    finally:
        await cancel(task)
    [status] = await witness_status(pool, [witness.name])
    assert (status.checkpoint_id, status.published, status.failures, status.last_error) == (
        signed[-1].id, 3, 0, None)
    copies = await witness.read()
    assert [c.checkpoint for c in copies] == [
        Checkpoint.from_json(json.loads(document(cp))) for cp in signed]
    assert all(c.checkpoint is not None and c.checkpoint.signed_by(PUBLIC) for c in copies)


async def test_the_publisher_wakes_on_a_new_checkpoint_without_polling(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    witness = directory(tmp_path)
    publisher = WitnessPublisher(dsn, [witness], poll=3600)  # only the NOTIFY can wake it in time
    task = asyncio.create_task(publisher.run())
    try:
        await wait_until(lambda: publisher.active, 10, "the publisher to take its lock")
        await asyncio.sleep(0.2)  # past its first pass: now it waits
        await append_events(pool, 7)
        cp = await hash_and_sign(dsn, KEY)
        await wait_until(lambda: publisher.published[witness.name] == 1, 10, "the NOTIFY to wake it")
    finally:
        await cancel(task)
    assert [c.checkpoint.id for c in await witness.read() if c.checkpoint] == [cp.id]


@pytest.mark.parametrize("restart_ids", [True, False])
async def test_a_history_rewritten_under_a_witnessed_checkpoint_is_not_consistent_with_it(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path, restart_ids: bool,
) -> None:
    witness = directory(tmp_path)
    await append_events(pool, 30, batch=6)
    witnessed = await hash_and_sign(dsn, KEY)
    await publish_pending(pool, witness)
    # Remove an early event, throw the tree and the checkpoints away and let the server
    # hash and sign the shortened history afresh: the database alone then looks clean
    # (every remaining event is genuine, so its append authenticator holds too).
    victim = await pool.fetchval("SELECT position FROM events ORDER BY position OFFSET 3 LIMIT 1")
    await as_superuser(dsn, "DELETE FROM events WHERE position = $1", victim)
    await as_superuser(dsn, "TRUNCATE event_leaves, merkle_nodes")
    await as_superuser(dsn, "TRUNCATE checkpoints" + (" RESTART IDENTITY" if restart_ids else ""))
    await as_superuser(dsn, "UPDATE hasher_tracking SET position = 0, tree_size = 0")
    await append_events(pool, 5)
    forged = await hash_and_sign(dsn, KEY)
    alone = await verify_log(dsn, PUBLIC, chunk_level=4)
    assert (alone.ok, alone.checkpoints_ok) == (True, 1)

    report = await check(dsn, witness)
    inconsistent = (f"the database's history is not consistent with witnessed {describe(witnessed)}: its"
                    f" latest {describe(forged)} does not extend the witnessed tree, so events up to"
                    " tree size 30 were rewritten")
    if restart_ids:
        assert forged.id == witnessed.id
        assert report.problems == [
            f"{describe(witnessed)} on the witness differs from the database's checkpoint"
            f" #{forged.id} in its tree size, root, last position, signing time, signature (the"
            f" database's: tree size 34, signed at {timestamp_text(forged.signed_at)}): the"
            " database's checkpoint was rewritten",
            inconsistent]
    else:
        assert report.problems == [
            f"{describe(witnessed)} is on the witness but not in the database: it was deleted",
            inconsistent]


async def test_a_directory_witness_never_replaces_a_copy_with_a_different_checkpoint(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    witness = directory(tmp_path)
    await append_events(pool, 12)
    cp = await hash_and_sign(dsn, KEY)
    await publish_pending(pool, witness)
    [name] = names(tmp_path)
    file = tmp_path / name
    kept = await asyncio.to_thread(file.read_bytes)
    assert (await publish_pending(pool, witness, everything=True)).error is None  # the same again: fine

    forged_root = bytes(32)
    await as_superuser(dsn, "UPDATE checkpoints SET root_hash = $2 WHERE id = $1", cp.id, forged_root)
    outcome = await publish_pending(pool, witness, everything=True)
    assert outcome.published == 0 and outcome.error is not None
    assert "already holds a different checkpoint document: not replaced" in outcome.error
    assert await asyncio.to_thread(file.read_bytes) == kept
    assert names(tmp_path) == [name]  # no temporary file left behind
    report = await check(dsn, witness)
    assert report.problems[0].startswith(
        f"{describe(cp)} on the witness differs from the database's checkpoint #{cp.id} in its root ")


async def test_copies_not_signed_by_the_trusted_key_or_unreadable_are_findings(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    witness = directory(tmp_path)
    await append_events(pool, 9)
    cp = await hash_and_sign(dsn, KEY)
    await publish_pending(pool, witness)
    other = sign_checkpoint(Ed25519PrivateKey.generate(), cp.tree_size, cp.root_hash, cp.last_position,
                            datetime(2026, 3, 1, 8, tzinfo=UTC))
    forged = Checkpoint(**{**other.__dict__, "id": 99})
    (tmp_path / "checkpoint-000000000099-000000000009.json").write_bytes(document(forged))
    (tmp_path / "checkpoint-000000000100-000000000009.json").write_text("{\"treeSize\": ")
    report = await check(dsn, witness)
    assert report.matched == 1
    assert report.problems[0] == (
        f"copy checkpoint-000000000099-000000000009.json, {describe(forged)}, is not signed by the"
        f" trusted key {cp.key_id}: forged, or from another log")
    assert report.problems[1].startswith("copy checkpoint-000000000100-000000000009.json is unreadable")
    assert len(report.problems) == 2


async def test_a_jetstream_witness_keeps_one_copy_each_survives_an_outage_and_names_a_deletion(
    dsn: str, pool: asyncpg.Pool, nats_server: NatsServer,  # noqa: F811
) -> None:
    witness = NatsWitness(parse_target(f"{nats_server.url}/AUDIT"), 1.0)
    first, second = await two_checkpoints(dsn, pool)
    assert (await publish_pending(pool, witness)).published == 2
    assert (await publish_pending(pool, witness, everything=True)).published == 2  # deduped by Nats-Msg-Id
    nc = await nats.connect(nats_server.url)
    try:
        info = await nc.jetstream().stream_info("AUDIT")
    finally:
        await nc.close()
    assert (info.state.messages, info.config.subjects) == (2, ["AUDIT.checkpoints"])
    assert (info.config.deny_delete, info.config.deny_purge) == (True, True)

    nats_server.stop()
    await append_events(pool, 3)
    third = await hash_and_sign(dsn, KEY)
    outcome = await publish_pending(pool, witness)
    assert outcome.published == 0 and outcome.error is not None
    assert [s.lag for s in await witness_status(pool, [witness.name])] == [1]
    nats_server.start()
    assert (await publish_pending(pool, witness)).published == 1
    await witness.close()

    assert (await check(dsn, witness)).ok
    await as_superuser(dsn, "DELETE FROM checkpoints WHERE id = ANY($1::bigint[])", [second.id, third.id])
    report = await check(dsn, witness)
    assert report.problems == [deleted(second, first), deleted(third, first)]
    assert report.witnessed == 3


@dataclass
class Notary:
    """An HTTP witness as the README describes it: one document per ``Idempotency-Key``."""

    documents: dict[str, bytes] = field(default_factory=dict)
    requests: int = 0

    async def take(self, request: Request) -> Response:
        self.requests += 1
        key, body = request.headers["idempotency-key"], await request.body()
        if self.documents.setdefault(key, body) != body:
            return Response(status_code=409)
        return Response(status_code=201)

    async def give(self, _request: Request) -> Response:
        return JSONResponse([json.loads(d) for d in self.documents.values()])


def http_settings(tmp_path: Path, *, allow_private: bool) -> Settings:
    return Settings(data_dir=tmp_path, integrity=IntegritySettings(
        witness_timeout=5, witness_allow_private=allow_private))


async def test_an_http_witness_takes_each_checkpoint_once_and_gives_them_back(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    notary = Notary()
    app = Starlette(routes=[Route("/witness", notary.take, methods=["POST"]),
                            Route("/witness", notary.give, methods=["GET"])])
    async with serve(app) as base:
        witness = build_witness(f"{base}/witness", http_settings(tmp_path, allow_private=True))
        first, second = await two_checkpoints(dsn, pool)
        assert (await publish_pending(pool, witness)).published == 2
        assert (await publish_pending(pool, witness, everything=True)).published == 2
        assert (notary.requests, len(notary.documents)) == (4, 2)
        assert set(notary.documents) == {f"{cp.key_id}-{cp.id}-{cp.tree_size}" for cp in (first, second)}
        assert (await check(dsn, witness)).ok
        await as_superuser(dsn, "DELETE FROM checkpoints WHERE id = $1", second.id)
        assert (await check(dsn, witness)).problems == [deleted(second, first)]
        await witness.close()


async def test_an_http_witness_at_a_private_address_is_refused_before_any_request(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    notary = Notary()
    async with serve(Starlette(routes=[Route("/witness", notary.take, methods=["POST"])])) as base:
        witness = build_witness(f"{base}/witness", http_settings(tmp_path, allow_private=False))
        await append_events(pool, 4)
        await hash_and_sign(dsn, KEY)
        outcome = await publish_pending(pool, witness)
        await witness.close()
    assert notary.requests == 0
    assert outcome.error is not None and "is not globally routable (loopback)" in outcome.error
    [status] = await witness_status(pool, [witness.name])
    assert (status.lag, status.failures, status.last_error) == (1, 1, outcome.error)
