"""Which PostgreSQL to use: ``DATABASE_URL``, or a private embedded server from pgserver."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from api.config import Settings

log = logging.getLogger(__name__)
EMBEDDED_DATABASE = "grassroots"


async def ensure_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        if not await conn.fetchval("SELECT true FROM pg_database WHERE datname = $1", name):
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@contextlib.contextmanager
def embedded_server(pgdata: Path) -> Iterator[object]:
    """Start (or join) the embedded server in ``pgdata``; stop it on exit."""
    import pgserver  # imported lazily: only the embedded mode needs it

    pgdata.mkdir(parents=True, exist_ok=True)
    log.info("starting embedded PostgreSQL in %s", pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    _forget_dead_handles(server)
    try:
        yield server
    finally:
        log.info("stopping embedded PostgreSQL")
        server.cleanup()


def _forget_dead_handles(server: object) -> None:
    """Drop pids of processes that died without releasing the server.

    pgserver stops PostgreSQL when its last registered process exits, but a process
    killed outright (SIGKILL, a crash) never unregisters, and the server would then
    outlive every later run. Pruning dead pids at start-up restores the rule.
    """
    import psutil

    handles = server.global_process_id_list  # type: ignore[attr-defined]
    with server._lock:  # type: ignore[attr-defined]
        alive = [pid for pid in handles.get() if psutil.pid_exists(pid)]
        handles.put(alive)


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[str]:
    """Yield a DSN: ``DATABASE_URL`` as given, or the embedded server's database."""
    if settings.database_url:
        yield settings.database_url
        return
    with embedded_server(Path(settings.data_dir) / "pgdata") as server:
        admin = server.get_uri()  # type: ignore[attr-defined]
        asyncio.run(ensure_database(admin, EMBEDDED_DATABASE))
        yield server.get_uri(EMBEDDED_DATABASE)  # type: ignore[attr-defined]
