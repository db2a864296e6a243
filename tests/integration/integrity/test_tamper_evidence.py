"""Tamper evidence against real PostgreSQL: an untouched log verifies clean, and every
kind of rewrite a superuser can do with plain SQL is named by its position."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore.db import connect
from eventstore.integrity import store as idb
from eventstore.integrity.encoding import (
    canonical_text,
    event_leaf,
    parse_json,
)
from eventstore.integrity.verify import verify_log, verify_stream
from tests.integration.integrity_support import as_hostile_dba, hash_and_sign, positions
from tests.integration.support import append_events

KEY = Ed25519PrivateKey.generate()


async def test_an_untouched_log_verifies_clean(dsn: str, pool: asyncpg.Pool) -> None:
    await append_events(pool, 1234, batch=100)
    cp = await hash_and_sign(dsn, KEY)
    report = await verify_log(dsn, KEY.public_key(), workers=2)
    assert report.ok, report.summary()
    assert (report.events, report.tree_size, cp.tree_size) == (1234, 1234, 1234)
    assert report.checkpoints_ok == report.checkpoints == 1


async def test_a_payload_changed_with_plain_sql_is_named_by_its_position(
    dsn: str,
    pool: asyncpg.Pool,
) -> None:
    await append_events(pool, 300, batch=50)
    await hash_and_sign(dsn, KEY)
    victim = (await positions(pool))[211]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        await conn.execute(
            "UPDATE events SET payload = jsonb_set(payload, '{n}', '999') WHERE position = $1",
            victim,
        )
    finally:
        await conn.close()
    report = await verify_log(dsn, KEY.public_key(), workers=2)
    assert not report.ok
    assert report.first_position == victim
    assert "content was changed" in (report.problem or "")
    assert f"first mismatch at position {victim}" in report.summary()


async def test_metadata_columns_are_covered_too(dsn: str, pool: asyncpg.Pool) -> None:
    await append_events(pool, 40)
    await hash_and_sign(dsn, KEY)
    victim = (await positions(pool))[7]
    await as_hostile_dba(
        dsn,
        "UPDATE events SET recorded_at = recorded_at + interval '1 microsecond'"
        " WHERE position = $1",
        victim,
    )
    report = await verify_log(dsn, KEY.public_key())
    assert report.first_position == victim


async def test_a_deleted_event_is_named(dsn: str, pool: asyncpg.Pool) -> None:
    await append_events(pool, 120)
    await hash_and_sign(dsn, KEY)
    victim = (await positions(pool))[64]
    await as_hostile_dba(dsn, "DELETE FROM events WHERE position = $1", victim)
    report = await verify_log(dsn, KEY.public_key())
    assert report.first_position == victim
    assert "missing" in (report.problem or "")


async def test_an_event_slipped_into_a_gap_in_positions_is_named(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await append_events(pool, 30)
    conn = await connect(dsn)
    try:  # a rolled-back append leaves a gap of positions behind
        tx = conn.transaction()
        await tx.start()
        await conn.execute(
            "INSERT INTO events (stream_id, stream_type, version, event_id, event_type,"
            " payload, actor) VALUES ($1, 'Test', 1, $2, 'Test.Ticked', '{}', 't')",
            uuid4(),
            uuid4(),
        )
        await tx.rollback()
    finally:
        await conn.close()
    await append_events(pool, 30)
    await hash_and_sign(dsn, KEY)
    have = await positions(pool)
    gap = next(p for p in range(1, have[-1]) if p not in have)
    await as_hostile_dba(
        dsn,
        "INSERT INTO events (position, stream_id, stream_type, version, event_id, event_type,"
        " payload, actor) OVERRIDING SYSTEM VALUE"
        " VALUES ($1, $2, 'Test', 1, $3, 'Test.Ticked', '{\"n\": 1}', 't')",
        gap,
        uuid4(),
        uuid4(),
    )
    report = await verify_log(dsn, KEY.public_key())
    assert report.first_position == gap
    assert "never hashed" in (report.problem or "")


async def test_two_events_swapped_are_caught_at_the_first(dsn: str, pool: asyncpg.Pool) -> None:
    await append_events(pool, 50)
    await hash_and_sign(dsn, KEY)
    have = await positions(pool)
    a, b = have[10], have[20]
    await as_hostile_dba(
        dsn,
        "UPDATE events x SET payload = y.payload, recorded_at = y.recorded_at FROM events y"
        " WHERE (x.position, y.position) IN (($1, $2), ($2, $1))",
        a,
        b,
    )
    report = await verify_log(dsn, KEY.public_key())
    assert report.first_position == a
    assert report.problems == 2


async def test_rewriting_an_event_with_its_leaf_breaks_the_signed_root(
    dsn: str,
    pool: asyncpg.Pool,
) -> None:
    await append_events(pool, 100)
    first = await hash_and_sign(dsn, KEY)
    await append_events(pool, 100)
    await hash_and_sign(dsn, KEY)
    victim = (await positions(pool))[150]
    await as_hostile_dba(
        dsn, "UPDATE events SET actor = 'someone else' WHERE position = $1", victim
    )
    row = (await idb.canonical_rows(pool, "e.position = $1", victim))[0]
    forged = event_leaf({**dict(row), "payload": parse_json(row["payload_text"])})
    await as_hostile_dba(
        dsn, "UPDATE event_leaves SET hash = $2 WHERE position = $1", victim, forged
    )
    report = await verify_log(dsn, KEY.public_key())
    assert not report.ok
    assert report.first_position == first.last_position + 1
    assert "rewritten together with its recorded leaf" in (report.problem or "")
    assert report.checkpoints_ok == 1


async def test_a_checkpoint_signed_by_another_key_is_refused(dsn: str, pool: asyncpg.Pool) -> None:
    await append_events(pool, 10)
    await hash_and_sign(dsn, Ed25519PrivateKey.generate())
    report = await verify_log(dsn, KEY.public_key())
    assert "not signed by the trusted key" in (report.problem or "")


async def test_postgresql_and_python_encode_awkward_events_identically(
    dsn: str,
    pool: asyncpg.Pool,
) -> None:
    payloads = [
        '{"amount": 1.10, "big": 123456789012345678901234567890.5, "exp": 1e2, "neg": -0.0}',
        '{"zz": 1, "a": {"ccc": [true, false, null], "b": []}, "é": "\\u0001\\t\\"q\\"\\\\ ✓"}',
        '[1, "two", {"x": {}}]',
        '"just a string"',
        '{"": 0, "\\u00e9t\\u00e9": "summer"}',
    ]
    conn = await connect(dsn)
    try:
        # canonical time is UTC whatever the session's zone
        await conn.execute("SET TimeZone = 'Asia/Shanghai'")
        for i, text in enumerate(payloads):
            await conn.execute(
                "INSERT INTO events (stream_id, stream_type, version, event_id, event_type,"
                " payload, recorded_at, actor, actor_roles, correlation_id, command_id, reason)"
                " VALUES ($1, 'Fund', 1, $2, 'Fund.Odd\"ity', $3::text::jsonb,"
                " $4, $5, $6, $7, $8, $9)",
                uuid4(),
                uuid4(),
                text,
                datetime(2026, 3, 1, 8, 0, i * 7, i * 1000, tzinfo=UTC),
                '财务 "7"',
                ["finance_officer", "auditor"][: i % 3],
                uuid4() if i % 2 else None,
                None if i == 0 else f"cmd-{i}",
                "原因\n第二行" if i == 1 else None,
            )
        rows = await idb.canonical_rows(conn, "true")
    finally:
        await conn.close()
    assert len(rows) == len(payloads)
    for r in rows:
        python = {**dict(r), "payload": parse_json(r["payload_text"])}
        assert canonical_text(python) == r["canonical"]
    stored = await pool.fetch(f"SELECT {idb.LEAF_SQL} AS h FROM events e ORDER BY position")
    assert [bytes(s["h"]) for s in stored] == [
        event_leaf({**dict(r), "payload": parse_json(r["payload_text"])}) for r in rows
    ]


@pytest.mark.parametrize("engine", ["sql", "python"])
async def test_both_engines_agree_on_a_clean_and_a_tampered_log(
    dsn: str,
    pool: asyncpg.Pool,
    engine: str,
) -> None:
    await append_events(pool, 200)
    await hash_and_sign(dsn, KEY)
    assert (await verify_log(dsn, KEY.public_key(), engine=engine)).ok
    victim = (await positions(pool))[99]
    await as_hostile_dba(dsn, "UPDATE events SET reason = 'edited' WHERE position = $1", victim)
    assert (await verify_log(dsn, KEY.public_key(), engine=engine)).first_position == victim


async def test_one_stream_verifies_against_the_latest_checkpoint_by_proofs(
    dsn: str,
    pool: asyncpg.Pool,
) -> None:
    await append_events(pool, 90, batch=30)
    await hash_and_sign(dsn, KEY)
    stream = await pool.fetchval("SELECT stream_id FROM events ORDER BY position OFFSET 40 LIMIT 1")
    await append_events(pool, 5)  # newer, not covered yet
    conn = await connect(dsn)
    try:
        clean = await verify_stream(conn, stream, KEY.public_key())
        assert clean.ok, clean.summary()
        assert clean.events == 30
        victim = await conn.fetchval(
            "SELECT position FROM events WHERE stream_id = $1 AND version = 17", stream
        )
        await as_hostile_dba(
            dsn, "UPDATE events SET payload = '{\"n\": 0}' WHERE position = $1", victim
        )
        tampered = await verify_stream(conn, stream, KEY.public_key())
        assert tampered.first_position == victim
        gone = await conn.fetchval(
            "SELECT position FROM events WHERE stream_id = $1 AND version = 30", stream
        )
        await as_hostile_dba(dsn, "DELETE FROM events WHERE position = $1", gone)
        shortened = await verify_stream(conn, stream, KEY.public_key())
        assert shortened.problems == 2  # the changed event, and the stream's missing head
        assert shortened.first_position == victim
    finally:
        await conn.close()


async def test_many_chunks_and_checkpoints_at_odd_sizes_verify_and_localise(
    dsn: str,
    pool: asyncpg.Pool,
) -> None:
    sizes = []
    for n in (5, 8, 1, 13, 21, 3):  # checkpoints fall inside and at the ends of 8-leaf chunks
        await append_events(pool, n)
        sizes.append((await hash_and_sign(dsn, KEY)).tree_size)
    assert sizes == [5, 13, 14, 27, 48, 51]
    report = await verify_log(dsn, KEY.public_key(), workers=3, chunk_level=3)
    assert report.ok, report.summary()
    assert report.checkpoints_ok == 6
    victim = (await positions(pool))[30]
    row = (await idb.canonical_rows(pool, "e.position = $1", victim))[0]
    await as_hostile_dba(dsn, "UPDATE events SET command_id = 'x' WHERE position = $1", victim)
    forged = event_leaf(
        {**dict(row), "command_id": "x", "payload": parse_json(row["payload_text"])}
    )
    await as_hostile_dba(
        dsn, "UPDATE event_leaves SET hash = $2 WHERE position = $1", victim, forged
    )
    report = await verify_log(dsn, KEY.public_key(), workers=3, chunk_level=3)
    assert report.checkpoints_ok == 4  # sizes 5, 13, 14 and 27 still match
    cp27 = await pool.fetchval("SELECT last_position FROM checkpoints WHERE tree_size = 27")
    assert report.first_position == cp27 + 1


async def test_without_a_public_key_the_summary_says_signatures_were_not_checked(
    dsn: str,
    pool: asyncpg.Pool,
) -> None:
    await append_events(pool, 12)
    await hash_and_sign(dsn, KEY)
    report = await verify_log(dsn, None)
    assert report.ok
    assert "signatures NOT checked" in report.summary()
