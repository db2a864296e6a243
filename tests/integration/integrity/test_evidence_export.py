"""Evidence files: written from PostgreSQL, verified with nothing but the file and a key."""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore.db import connect
from eventstore.integrity.evidence import verify_evidence, write_evidence
from tests.integration.integrity_support import authenticate_sql_rows, hash_and_sign
from tests.integration.support import append_events

KEY = Ed25519PrivateKey.generate()


async def export(dsn: str, **kw: object) -> list[str]:
    lines: list[str] = []
    conn = await connect(dsn)
    try:
        await write_evidence(conn, kw.pop("positions", None), lines.append, **kw)  # type: ignore[arg-type]
    finally:
        await conn.close()
    return lines


def edit(lines: list[str], position: int, change: dict[str, object]) -> list[str]:
    out = []
    for line in lines:
        body = json.loads(line)
        if body.get("type") == "event" and body["position"] == position:
            line = json.dumps({**body, **change}, ensure_ascii=False) + "\n"
        out.append(line)
    return out


async def stream_of_interest(pool: asyncpg.Pool) -> UUID:
    return await pool.fetchval("SELECT stream_id FROM events ORDER BY position OFFSET 100 LIMIT 1")


async def test_one_streams_evidence_verifies_offline_and_a_tampered_line_is_named(
    dsn: str,
    pool: asyncpg.Pool,
) -> None:
    await append_events(pool, 240, batch=40)
    await hash_and_sign(dsn, KEY)
    stream = await stream_of_interest(pool)
    lines = await export(dsn, stream_id=stream)
    assert [json.loads(x)["type"] for x in lines[:2]] == ["evidence", "checkpoint"]
    assert len(lines) == 2 + 40 + 1
    clean = verify_evidence(lines, KEY.public_key())
    assert clean.ok, clean.summary()
    assert clean.events == 40
    target = json.loads(lines[9])
    tampered = edit(lines, target["position"], {"payload": {"n": 1000}})
    report = verify_evidence(tampered, KEY.public_key())
    assert report.first_position == target["position"]
    assert f"first mismatch at position {target['position']}" in report.summary()


async def test_a_forged_leaf_hash_in_the_file_does_not_help(dsn: str, pool: asyncpg.Pool) -> None:
    await append_events(pool, 60, batch=20)
    await hash_and_sign(dsn, KEY)
    lines = await export(
        dsn,
        stream_id=await pool.fetchval(
            "SELECT stream_id FROM events ORDER BY position OFFSET 30 LIMIT 1"
        ),
    )
    target = json.loads(lines[5])
    forged = edit(lines, target["position"], {"actor": "mallory", "leafHash": None})
    report = verify_evidence(forged, KEY.public_key())
    assert report.first_position == target["position"]
    assert "does not prove into the checkpoint's root" in (report.problem or "")


async def test_dropping_a_line_from_a_streams_evidence_is_caught(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await append_events(pool, 60, batch=20)
    await hash_and_sign(dsn, KEY)
    lines = await export(
        dsn, stream_id=await pool.fetchval("SELECT stream_id FROM events ORDER BY position LIMIT 1")
    )
    assert not verify_evidence(lines[:7] + lines[8:], KEY.public_key()).ok
    assert not verify_evidence(lines[:-1], KEY.public_key()).ok  # no end line: truncated


async def test_the_whole_log_exported_rebuilds_the_signed_root(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await append_events(pool, 333, batch=100)
    cp = await hash_and_sign(dsn, KEY)
    await append_events(pool, 4)  # not covered yet: exported, reported as unchecked
    lines = await export(dsn)
    header = json.loads(lines[0])
    assert header["complete"] is True
    assert json.loads(lines[2])["auditPath"] is None
    report = verify_evidence(lines, KEY.public_key())
    assert report.ok, report.summary()
    assert (report.events, report.unchecked, report.tree_size) == (333, 4, cp.tree_size)
    gone = json.loads(lines[50])["position"]
    report = verify_evidence(
        [x for x in lines if f'"position": {gone},' not in x], KEY.public_key()
    )
    assert not report.ok


async def test_exact_decimals_survive_the_round_trip(dsn: str, pool: asyncpg.Pool) -> None:
    await pool.execute(
        "INSERT INTO events (stream_id, stream_type, version, event_id, event_type, payload, actor)"
        " VALUES (gen_random_uuid(), 'Fund', 1, gen_random_uuid(), 'Fund.Allocated',"
        " '{\"amount\": 1200.10, \"rate\": 1e-3}', 'finance-1')"
    )
    assert await authenticate_sql_rows(dsn) == 1  # written with SQL, as if appended
    assert (await hash_and_sign(dsn, KEY)).tree_size == 1
    lines = await export(dsn, position_range=(1, 1))
    assert '"amount": 1200.10' in lines[2]
    assert verify_evidence(lines, KEY.public_key()).ok


async def test_another_key_or_an_edited_checkpoint_is_refused(dsn: str, pool: asyncpg.Pool) -> None:
    await append_events(pool, 20)
    await hash_and_sign(dsn, KEY)
    lines = await export(dsn, positions=[3, 4])
    assert not verify_evidence(lines, Ed25519PrivateKey.generate().public_key()).ok
    cp = json.loads(lines[1])
    cp["checkpoint"]["treeSize"] += 1
    assert not verify_evidence([lines[0], json.dumps(cp), *lines[2:]], KEY.public_key()).ok
    trusting_the_file = verify_evidence(lines, None)
    assert trusting_the_file.ok
    assert any("pin it with --public-key" in n for n in trusting_the_file.notes)
