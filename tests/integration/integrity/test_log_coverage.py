"""Tamper evidence covers every row and every stored hash (issue 10, items 1, 2 and 4):
rows forged before position 1, stored Merkle nodes rewritten or deleted, and leaves and
nodes deleted under ``verify --stream`` and ``export``. Each forgery is done the way a
superuser would: ``session_replication_role = replica`` switches the append-only
triggers off for the session."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore.integrity.verify import verify_log
from tests.integration.integrity_support import hash_and_sign, positions
from tests.integration.support import append_events, build_world, commands

KEY = Ed25519PrivateKey.generate()
ROOT = Path(__file__).resolve().parents[3]


async def as_superuser(dsn: str, *statements: tuple[Any, ...]) -> None:
    """Run ``(sql, *args)`` statements in one transaction with the triggers switched off."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            for sql, *args in statements:
                await conn.execute(sql, *args)
    finally:
        await conn.close()


FORGE = (
    "INSERT INTO events (position, stream_id, stream_type, version, event_id, event_type,"
    " schema_version, payload, recorded_at, actor, actor_roles, correlation_id)"
    " OVERRIDING SYSTEM VALUE"
    " SELECT $1, stream_id, stream_type, version + 1, $2, event_type, schema_version,"
    " '{\"n\": 9000}', recorded_at, actor, actor_roles, correlation_id"
    " FROM events WHERE position = $3"
)
BUMP = "UPDATE streams SET version = version + 1 WHERE stream_id = (SELECT stream_id FROM events WHERE position = $1)"


# -- item 1: positions <= 0 -------------------------------------------------------------


@pytest.mark.parametrize("forged", [-1, 0])
async def test_a_row_forged_before_position_1_is_named(
    dsn: str, pool: asyncpg.Pool, forged: int
) -> None:
    await append_events(pool, 40, batch=20)
    await hash_and_sign(dsn, KEY)
    last = (await positions(pool))[-1]  # the head of its stream: the forged row follows it
    # A superuser first drops the constraint that would refuse the row (tested below).
    await as_superuser(
        dsn,
        ("ALTER TABLE events DROP CONSTRAINT events_position_positive",),
        (FORGE, forged, uuid4(), last),
        (BUMP, last),
    )
    assert await pool.fetchval("SELECT count(*) FROM events") == 41
    report = await verify_log(dsn, KEY.public_key(), workers=2)
    assert not report.ok
    assert report.first_position == forged
    assert f"position {forged} was never hashed" in (report.problem or "")
    assert "never assigns" in (report.problem or "")
    assert report.events == 41  # every row there is was walked


async def test_a_row_forged_before_position_1_is_named_even_before_any_hashing(
    dsn: str, pool: asyncpg.Pool
) -> None:
    await append_events(pool, 3)
    last = (await positions(pool))[-1]
    await as_superuser(
        dsn,
        ("ALTER TABLE events DROP CONSTRAINT events_position_positive",),
        (FORGE, -5, uuid4(), last),
    )
    report = await verify_log(dsn, None, workers=1)
    assert (report.ok, report.first_position) == (False, -5), report.summary()


@pytest.mark.parametrize("forged", [-1, 0])
async def test_the_schema_refuses_a_position_the_append_function_cannot_produce(
    dsn: str, pool: asyncpg.Pool, forged: int
) -> None:
    await append_events(pool, 10)
    await hash_and_sign(dsn, KEY)
    last = (await positions(pool))[-1]
    with pytest.raises(asyncpg.CheckViolationError, match="events_position_positive"):
        await as_superuser(dsn, (FORGE, forged, uuid4(), last), (BUMP, last))
    assert await pool.fetchval("SELECT count(*) FROM events") == 10  # nothing was appended
    assert await pool.fetchval("SELECT min(position) FROM events") == 1
    assert (await verify_log(dsn, KEY.public_key(), workers=1)).ok


# -- item 2: stored Merkle nodes --------------------------------------------------------


async def _leaf_position(pool: asyncpg.Pool, index: int) -> int:
    return int(await pool.fetchval("SELECT position FROM event_leaves WHERE leaf_index = $1", index))


@pytest.mark.parametrize("chunk_level", [14, 3])  # inside one chunk, and across chunks
@pytest.mark.parametrize(("level", "idx"), [(1, 300), (10, 0)])
async def test_a_changed_stored_node_is_named(
    dsn: str, pool: asyncpg.Pool, level: int, idx: int, chunk_level: int
) -> None:
    await append_events(pool, 1100, batch=550)
    await hash_and_sign(dsn, KEY)
    assert (await verify_log(dsn, KEY.public_key(), workers=2, chunk_level=chunk_level)).ok
    await as_superuser(
        dsn,
        (
            "UPDATE merkle_nodes SET hash = sha256(hash) WHERE level = $1 AND idx = $2",
            level,
            idx,
        ),
    )
    report = await verify_log(dsn, KEY.public_key(), workers=2, chunk_level=chunk_level)
    assert not report.ok
    assert f"stored Merkle node level {level} index {idx} " in (report.problem or "")
    assert "does not match the tree rebuilt" in (report.problem or "")
    assert report.first_position == await _leaf_position(pool, idx << level)
    assert report.checkpoints_ok == 1  # the events and the signed root still agree


async def test_a_deleted_stored_node_is_named(dsn: str, pool: asyncpg.Pool) -> None:
    await append_events(pool, 64, batch=64)
    await hash_and_sign(dsn, KEY)
    await as_superuser(dsn, ("DELETE FROM merkle_nodes WHERE level = 2 AND idx = 5",))
    report = await verify_log(dsn, KEY.public_key(), workers=1)
    assert not report.ok
    assert "stored Merkle node level 2 index 5 " in (report.problem or "")
    assert "is missing" in (report.problem or "")
    assert report.first_position == await _leaf_position(pool, 20)


# -- item 4: deleted leaves and nodes under --stream and export -------------------------


async def grassroots(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api.cli.main", *args, cwd=ROOT, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_deleted_hashes_are_reported_by_stream_verify_and_refused_by_export(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    ids = await build_world(commands(pool))
    await hash_and_sign(dsn, KEY)
    env = {
        "DATABASE_URL": dsn,
        "GRASSROOTS_DATA_DIR": str(tmp_path),
        "GRASSROOTS_SIGNING_KEY": base64.b64encode(KEY.private_bytes_raw()).decode(),
    }
    fund = str(ids["fund"])
    fund_positions = [
        r[0] for r in await pool.fetch(
            "SELECT position FROM events WHERE stream_id = $1 ORDER BY position", ids["fund"]
        )
    ]
    victim = fund_positions[1]
    index = await pool.fetchval("SELECT leaf_index FROM event_leaves WHERE position = $1", victim)
    # The victim's leaf and every stored node above it go, as in the fault test.
    await as_superuser(
        dsn,
        ("DELETE FROM event_leaves WHERE position = $1", victim),
        ("DELETE FROM merkle_nodes WHERE idx = ($1::bigint >> level)", index),
    )

    code, out, err = await grassroots(env, "verify", "--stream", fund)
    assert "Traceback" not in err
    assert code == 1, out + err
    assert out.startswith("first mismatch at position"), out
    assert "lacks the stored hashes" in out or f"position {victim} is not in the checkpointed tree" in out

    target = tmp_path / "fund.jsonl"
    code, out, err = await grassroots(env, "export", "--fund", fund, "--format", "jsonl", "-o", str(target))
    assert "Traceback" not in err
    assert code == 1, out + err
    assert "export refused" in err and "lack the stored hashes" in err
    assert str(victim) in err
    assert not target.exists()
    assert [n for n in os.listdir(tmp_path) if "fund.jsonl" in n] == []  # no partial file


async def test_an_export_that_completes_is_renamed_into_place(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    ids = await build_world(commands(pool))
    await hash_and_sign(dsn, KEY)
    env = {"DATABASE_URL": dsn, "GRASSROOTS_DATA_DIR": str(tmp_path)}
    target = tmp_path / "fund.jsonl"
    code, out, err = await grassroots(
        env, "export", "--fund", str(ids["fund"]), "--format", "jsonl", "-o", str(target)
    )
    assert code == 0, out + err
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[-1].startswith('{"type": "end"')
    assert sorted(n for n in os.listdir(tmp_path) if "fund.jsonl" in n) == ["fund.jsonl"]
