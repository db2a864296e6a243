"""Connection pools with the codecs every part of the program expects."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=lambda v: json.dumps(v, ensure_ascii=False), decoder=json.loads,
            schema="pg_catalog",
        )


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Release without a reset query (asyncpg still rolls back an open transaction)."""


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10, **kw: Any) -> asyncpg.Pool:
    """A pool whose connections read and write json/jsonb as Python values.

    Released connections are not reset: asyncpg's default reset sends one more
    statement (``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``) on every
    release, a round trip per acquire. So pool connections must not keep session state:
    session advisory locks, LISTEN and SET belong on a connection of their own
    (``connect``), as the projection runners, the notifier, rebuild and migrate do.
    Transaction-scoped state (``pg_advisory_xact_lock``, ``SET LOCAL``) is fine.
    """
    kw.setdefault("reset", _keep_session)
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=init_connection, **kw)
    assert pool is not None
    return pool


async def connect(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    return conn
