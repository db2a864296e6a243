"""Helpers for the tamper-evidence tests: hash the log, sign, and tamper like a hostile DBA."""

from __future__ import annotations

from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore.db import connect
from eventstore.integrity import store as idb
from eventstore.integrity.authenticators import installed
from eventstore.integrity.encoding import (
    Checkpoint,
)
from eventstore.integrity.hasher import checkpoint_now


async def hash_and_sign(dsn: str, key: Ed25519PrivateKey) -> Checkpoint:
    """Hash everything in the log and record a checkpoint, as ``grassroots checkpoint`` does."""
    conn = await connect(dsn)
    try:
        return await checkpoint_now(conn, key, requested_by="test")
    finally:
        await conn.close()


async def as_hostile_dba(dsn: str, sql: str, *args: Any) -> None:
    """Run ``sql`` with the log's append-only triggers switched off (superuser only)."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for table in ("events", "event_leaves"):
                await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            await conn.execute(sql, *args)
            for table in ("events", "event_leaves"):
                await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    finally:
        await conn.close()


async def positions(pool: asyncpg.Pool) -> list[int]:
    return [
        r["position"] for r in await pool.fetch("SELECT position FROM events ORDER BY position")
    ]


async def authenticate_sql_rows(dsn: str) -> int:
    """Give rows a test wrote with SQL (exact decimals the store's JSON codec could not
    send) the append authenticators the application would have made with the process's
    key, so the hasher seals them like appended ones; the number of rows so blessed."""
    keys = installed()
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            f"SELECT e.position, {idb.APPEND_DIGEST_SQL} AS d FROM events e"
            " WHERE e.append_mac IS NULL"
        )
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")  # no triggers
            await conn.execute(
                "UPDATE events e SET append_key_id = $1, append_mac = a.mac"
                " FROM unnest($2::bigint[], $3::bytea[]) AS a(position, mac)"
                " WHERE e.position = a.position",
                keys.signing_key_id,
                [r["position"] for r in rows],
                [keys.sign(bytes(r["d"])) for r in rows],
            )
    finally:
        await conn.close()
    return len(rows)
