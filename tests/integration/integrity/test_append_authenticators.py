"""Append authenticators against real PostgreSQL (issue 10, item 6): the hasher seals only
what the application appended, with a key the database does not hold; a row written or
changed with SQL stops sealing at its position and is named by ``verify``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.shared.ports import Append, Metadata, NewEvent
from eventstore.db import connect, create_pool
from eventstore.integrity import store as idb
from eventstore.integrity.authenticators import AppendKeys, installed
from eventstore.integrity.encoding import public_key_pem
from eventstore.integrity.hasher import LogHasher, checkpoint_now
from eventstore.integrity.verify import verify_log, verify_stream
from eventstore.integrity.verify_authenticators import python_authenticator
from eventstore.migrate import available, migrate
from eventstore.postgres import PostgresEventStore
from tests.integration.integrity.test_verify_cli import grassroots
from tests.integration.integrity_support import as_hostile_dba, hash_and_sign, positions
from tests.integration.support import append_events

KEY = Ed25519PrivateKey.generate()

# A row a superuser writes with SQL: a copy of a real event (the next version of its
# stream, a new id, a payload of its own), with whatever authenticator the forger has.
FORGE = (
    "INSERT INTO events (stream_id, stream_type, version, event_id, event_type, schema_version,"
    " payload, actor, actor_roles, correlation_id, append_key_id, append_mac)"
    " SELECT stream_id, stream_type, version + 1, $2, event_type, schema_version, $3::text::jsonb,"
    " actor, actor_roles, correlation_id, $4, $5 FROM events WHERE position = $1"
    " RETURNING position"
)


async def forge(
    pool: asyncpg.Pool, like: int, *, key_id: str | None = None, mac: bytes | None = None
) -> int:
    return int(await pool.fetchval(FORGE, like, uuid4(), '{"n": 9000}', key_id, mac))


async def hashed_position(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT position FROM hasher_tracking"))


async def report_of(dsn: str, keys: AppendKeys, engine: str = "sql") -> Any:
    return await verify_log(dsn, KEY.public_key(), workers=2, engine=engine, append_keys=keys)


@pytest.mark.parametrize("engine", ["sql", "python"])
async def test_real_appends_are_sealed_and_their_authenticators_verify(
    dsn: str, pool: asyncpg.Pool, engine: str
) -> None:
    await append_events(pool, 130, batch=40)
    cp = await hash_and_sign(dsn, KEY)
    assert cp.tree_size == 130
    keys = installed()
    assert await pool.fetchval(
        "SELECT count(*) FROM events WHERE append_key_id = $1 AND length(append_mac) = 32",
        keys.signing_key_id,
    ) == 130
    report = await report_of(dsn, keys, engine)
    assert report.ok, report.summary()
    assert (report.authenticated, report.legacy) == (130, 0)
    assert report.summary().endswith("; 130 append authenticator(s) verified")
    unchecked = await verify_log(dsn, KEY.public_key())
    assert unchecked.authenticated is None
    assert "append authenticators were not checked" in " ".join(unchecked.notes)


async def test_postgresql_and_python_compute_the_same_append_digest_for_awkward_events(
    dsn: str, pool: asyncpg.Pool
) -> None:
    payloads: list[Any] = [
        {"amount": 1.10, "big": 123456789012345678901234567890, "exp": 1e22, "tiny": 1e-7, "neg": -0.0},
        {"zz": 1, "a": {"ccc": [True, False, None], "b": []}, "é": "\u0001\t\"q\"\\ ✓", "": 0},
        {"list": [1, "two", {"x": {}}], "s": "just a string", "big": -10**30},
        {"长键名": "值", "k": "\u2028\u00e9t\u00e9"},
    ]
    stream = uuid4()
    events = [
        NewEvent(stream_id=stream, stream_type='Odd"ity', version=v, event_id=uuid4(),
                 event_type="Test.Odd\u00e9", schema_version=1, payload=p)
        for v, p in enumerate(payloads, start=1)
    ]
    meta = Metadata(actor='财务 "7"', actor_roles=("finance_officer", "auditor"),
                    correlation_id=uuid4(), causation_id=uuid4(), command_id="cmd-\n1",
                    reason="原因\n第二行")
    await PostgresEventStore(pool).append(Append(events, meta))
    digests = await pool.fetch(
        f"SELECT {idb.APPEND_DIGEST_SQL} AS d FROM events e ORDER BY position"
    )
    rows = await idb.canonical_rows(pool, "true")
    assert [bytes(d["d"]) for d in digests] == [python_authenticator(r)[0] for r in rows]
    assert (await hash_and_sign(dsn, KEY)).tree_size == len(payloads)  # the hasher agrees
    assert (await report_of(dsn, installed(), "python")).ok


async def test_a_row_inserted_with_sql_is_refused_by_the_hasher_and_named_by_verify(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await append_events(pool, 20, batch=10)
    await hash_and_sign(dsn, KEY)
    forged = await forge(pool, (await positions(pool))[-1])
    await append_events(pool, 5)  # real appends after it cannot be sealed past it either
    cp = await hash_and_sign(dsn, KEY)
    assert (cp.tree_size, await hashed_position(pool)) == (20, forged - 1)
    assert await pool.fetchval("SELECT count(*) FROM event_leaves WHERE position >= $1", forged) == 0
    keys = installed()
    refused = await idb.first_refused(pool, keys)
    assert refused is not None and refused.position == forged
    assert "carries no append authenticator" in refused.reason

    for engine in ("sql", "python"):
        report = await report_of(dsn, keys, engine)
        assert (report.ok, report.first_position) == (False, forged), report.summary()
        assert "carries no append authenticator" in (report.problem or "")
        assert "the hasher refuses to seal it" in (report.problem or "")
    stream = await pool.fetchval("SELECT stream_id FROM events WHERE position = $1", forged)
    conn = await connect(dsn)
    try:
        one = await verify_stream(conn, stream, KEY.public_key(), append_keys=keys)
    finally:
        await conn.close()
    assert (one.ok, one.first_position) == (False, forged), one.summary()

    # Once the row is gone, sealing resumes with the real events behind it.
    await as_hostile_dba(dsn, "DELETE FROM events WHERE position = $1", forged)
    assert (await hash_and_sign(dsn, KEY)).tree_size == 25
    assert await idb.first_refused(pool, keys) is None


async def test_an_authenticator_copied_from_another_event_is_refused(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await append_events(pool, 12)
    await hash_and_sign(dsn, KEY)
    donor = (await positions(pool))[-1]
    copied = await pool.fetchrow(
        "SELECT append_key_id, append_mac FROM events WHERE position = $1", donor
    )
    forged = await forge(pool, donor, key_id=copied["append_key_id"], mac=copied["append_mac"])
    await hash_and_sign(dsn, KEY)
    assert await hashed_position(pool) == forged - 1
    refused = await idb.first_refused(pool, installed())
    assert refused is not None and refused.position == forged
    assert "copied from another event" in refused.reason
    report = await report_of(dsn, installed())
    assert report.first_position == forged
    assert "copied from another event" in (report.problem or "")


async def test_a_payload_changed_before_sealing_is_refused(dsn: str, pool: asyncpg.Pool) -> None:
    await append_events(pool, 8)
    await hash_and_sign(dsn, KEY)
    await append_events(pool, 6)  # committed, not sealed yet
    victim = (await positions(pool))[10]
    await as_hostile_dba(
        dsn, "UPDATE events SET payload = '{\"n\": 9000}' WHERE position = $1", victim
    )
    cp = await hash_and_sign(dsn, KEY)
    assert (cp.tree_size, await hashed_position(pool)) == (10, victim - 1)
    refused = await idb.first_refused(pool, installed())
    assert refused is not None and refused.position == victim
    assert "changed after it was appended" in refused.reason
    report = await report_of(dsn, installed(), "python")
    assert (report.first_position, report.events, report.unchecked) == (victim, 10, 4)


async def test_a_row_sealed_without_a_valid_authenticator_is_named_by_verify(
    dsn: str, pool: asyncpg.Pool
) -> None:
    # A superuser who runs a hasher of their own with a key they made (or writes leaves
    # with SQL) gets a forged row sealed, even signed into a checkpoint; it is still not
    # authenticated by the application's key, and verify names it.
    await append_events(pool, 9)
    await hash_and_sign(dsn, KEY)
    forged = await forge(pool, (await positions(pool))[-1])
    row = (await idb.canonical_rows(pool, "e.position = $1", forged))[0]
    digest = python_authenticator(row)[0]
    assert digest is not None
    forger = AppendKeys([uuid.uuid4().bytes * 2])
    await as_hostile_dba(
        dsn, "UPDATE events SET append_key_id = $2, append_mac = $3 WHERE position = $1",
        forged, forger.signing_key_id, forger.sign(digest),
    )
    conn = await connect(dsn)
    try:
        await checkpoint_now(conn, KEY, append_keys=forger)
    finally:
        await conn.close()
    assert await hashed_position(pool) == forged  # sealed and signed
    report = await report_of(dsn, installed())
    assert (report.ok, report.first_position) == (False, forged), report.summary()
    assert f"is authenticated by key {forger.signing_key_id}, which is not one of the" in (
        report.problem or ""
    )
    assert "yet it is sealed" in (report.problem or "")
    assert report.checkpoints_ok == report.checkpoints == 2  # the tree itself is consistent


async def test_append_keys_rotate_the_first_signs_and_every_listed_one_verifies(
    dsn: str, pool: asyncpg.Pool
) -> None:
    old_key, new_key = uuid4().bytes * 2, uuid4().bytes * 2
    old, rotated = AppendKeys([old_key]), AppendKeys.parse(f"{new_key.hex()},{old_key.hex()}")
    meta = Metadata(actor="rotating", actor_roles=(), correlation_id=uuid4())
    stream = uuid4()
    for keys, versions in ((old, (1, 2, 3)), (rotated, (4, 5))):
        events = [NewEvent(stream_id=stream, stream_type="Test", version=v, event_id=uuid4(),
                           event_type="Test.Ticked", schema_version=1, payload={"n": v})
                  for v in versions]
        await PostgresEventStore(pool, append_keys=keys).append(Append(events, meta))
    signed_by = [r["append_key_id"] for r in await pool.fetch(
        "SELECT append_key_id FROM events ORDER BY position")]
    assert signed_by == [old.signing_key_id] * 3 + [AppendKeys([new_key]).signing_key_id] * 2
    conn = await connect(dsn)
    try:
        await checkpoint_now(conn, KEY, append_keys=rotated)
    finally:
        await conn.close()
    assert await hashed_position(pool) == 5
    report = await report_of(dsn, rotated)
    assert (report.ok, report.authenticated) == (True, 5), report.summary()
    retired = await report_of(dsn, AppendKeys([new_key]))  # the old key dropped too early
    assert retired.first_position == 1
    assert f"key {old.signing_key_id}, which is not one of the configured" in (
        retired.problem or ""
    )


# -- upgrading a log that has events from before authenticators -------------------------


async def _database_before_0012(admin_dsn: str) -> tuple[str, str]:
    name = f"grassroots_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{name}"))
    conn = await connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE schema_migrations (name text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for m in available():
            if m.name >= "0012":
                break
            await conn.execute(m.sql)
            await conn.execute("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
                               m.name, m.checksum)
    finally:
        await conn.close()
    return name, dsn


async def _old_appends(conn: asyncpg.Connection, count: int) -> None:
    """Events as the application wrote them before 0012 (no authenticator columns yet)."""
    await conn.execute(
        "INSERT INTO events (stream_id, stream_type, version, event_id, event_type, payload, actor)"
        " SELECT $1, 'Test', g, gen_random_uuid(), 'Test.Ticked', jsonb_build_object('n', g), 'old'"
        " FROM generate_series(1, $2) AS g",
        uuid4(), count,
    )


async def _old_hasher(conn: asyncpg.Connection) -> None:
    """Seal everything as the hasher did before 0012 (leaves, nodes and tracking)."""
    async with conn.transaction():
        position, size = await idb.tree_state(conn, lock=True)
        tree = await idb.load_range(conn, size)
        rows = await conn.fetch(
            f"SELECT e.position, {idb.LEAF_SQL} AS hash FROM events e WHERE e.position > $1"
            " ORDER BY e.position", position,
        )
        nodes = [n for r in rows for n in tree.append(bytes(r["hash"]))]
        await conn.executemany(
            "INSERT INTO event_leaves (leaf_index, position, hash) VALUES ($1, $2, $3)",
            [(size + i, r["position"], bytes(r["hash"])) for i, r in enumerate(rows)],
        )
        await conn.executemany("INSERT INTO merkle_nodes (level, idx, hash) VALUES ($1, $2, $3)",
                               nodes)
        await conn.execute("UPDATE hasher_tracking SET position = $1, tree_size = $2",
                           rows[-1]["position"], tree.size)


async def test_upgrading_keeps_every_event_already_in_the_log_as_legacy_and_says_how_many_were_unsealed(
    admin_dsn: str, template_db: str
) -> None:
    name, dsn = await _database_before_0012(admin_dsn)
    try:
        conn = await connect(dsn)
        try:
            await _old_appends(conn, 30)
            await _old_hasher(conn)
            await _old_appends(conn, 4)  # appended, not sealed when the upgrade comes
            assert "0012_append_authenticators.sql" in await migrate(conn)
            boundary = await idb.legacy_boundary(conn)
            assert (boundary.position, boundary.leaves, boundary.unsealed) == (34, 34, 4)
        finally:
            await conn.close()
        pool = await create_pool(dsn, min_size=1, max_size=3)
        try:
            await append_events(pool, 16)
            await hash_and_sign(dsn, KEY)
            report = await report_of(dsn, installed())
            assert report.ok, report.summary()
            assert (report.events, report.authenticated, report.legacy) == (50, 16, 34)
            assert "34 legacy event(s) without (appended before authenticators began, up to" \
                   " position 34; 4 of them not yet sealed at the upgrade)" in report.summary()

            # The boundary is a row of the database: moved to pass a forged row off as a
            # legacy one, it contradicts the authenticated rows it now covers.
            forged = await forge(pool, 50)
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SET LOCAL session_replication_role = replica")  # no triggers
                await conn.execute("UPDATE append_authentication SET legacy_position = $1", forged)
            moved = await report_of(dsn, installed())
            assert moved.first_position == 35
            assert "lies before position 51, where authenticators began" in (moved.problem or "")
        finally:
            await pool.close()
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def test_the_command_line_checks_authenticators_and_says_when_it_cannot(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": dsn, "GRASSROOTS_DATA_DIR": str(tmp_path),
           "GRASSROOTS_SIGNING_KEY": KEY.private_bytes_raw().hex()}
    await append_events(pool, 15)
    code, out, err = await grassroots(env, "checkpoint")
    assert code == 0, err
    code, out, err = await grassroots(env, "verify")
    assert code == 0, out + err
    assert out.strip().endswith("; 15 append authenticator(s) verified")

    forged = await forge(pool, (await positions(pool))[-1])
    code, out, err = await grassroots(env, "checkpoint")
    assert code == 1
    assert json.loads(out)["treeSize"] == 15  # signed what precedes the forged row
    assert f"refuses to seal event at position {forged}" in " ".join(err.split())
    code, out, _ = await grassroots(env, "verify")
    assert code == 1
    assert f"first mismatch at position {forged}: event at position {forged} carries no" in out

    # An auditor without the append key: the tree and checkpoints only, and it says so.
    auditor = {"DATABASE_URL": dsn, "GRASSROOTS_DATA_DIR": str(tmp_path / "auditor"),
               "GRASSROOTS_APPEND_KEY": ""}
    code, out, err = await grassroots(auditor, "verify", "--public-key",
                                      public_key_pem(KEY.public_key()))
    assert code == 0, out + err
    assert "append authenticators were not checked" in err
    assert not (tmp_path / "auditor" / "append-key").exists()


class _SealsAnything(AppendKeys):
    """A hasher a superuser runs on their own: it checks nothing."""

    def problem(self, digest: bytes | None, key_id: str | None, mac: bytes | None) -> str | None:
        return None


async def test_an_event_after_the_latest_checkpoint_rewritten_with_its_leaf_and_nodes_is_named(
    dsn: str, pool: asyncpg.Pool
) -> None:
    # After the latest checkpoint, the tree alone cannot tell a rewritten event whose leaf
    # and nodes were rebuilt to match (by a hasher the superuser runs); its authenticator can.
    await append_events(pool, 10)
    await hash_and_sign(dsn, KEY)
    await append_events(pool, 6)
    await hash_and_sign(dsn, KEY)
    await append_events(pool, 5)
    victim = (await positions(pool))[18]
    async with pool.acquire() as c, c.transaction():
        await c.execute("SET LOCAL session_replication_role = replica")  # no triggers
        await c.execute("UPDATE events SET payload = '{\"n\": 9000}' WHERE position = $1", victim)
    conn = await connect(dsn)
    try:
        await LogHasher("", None, KEY, append_keys=_SealsAnything([bytes(32)])).catch_up(conn)
    finally:
        await conn.close()
    assert await hashed_position(pool) == 21
    unchecked = await verify_log(dsn, KEY.public_key())
    assert unchecked.ok, unchecked.summary()  # the tree and the two checkpoints agree
    report = await report_of(dsn, installed())
    assert (report.ok, report.first_position) == (False, victim), report.summary()
    assert "does not match its append authenticator" in (report.problem or "")
    assert "yet it is sealed" in (report.problem or "")
