"""Apply the numbered SQL migrations in ``migrations/``.

Safe to run twice and from several processes at once: a session advisory lock makes
runners take turns, each file runs in its own transaction together with its record in
``schema_migrations``, and a file whose content changed after it was applied is
refused rather than silently skipped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import asyncpg

MIGRATION_LOCK = 0x6D6967  # "mig"


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(RuntimeError):
    """An applied migration no longer matches its file."""


def available() -> list[Migration]:
    files = resources.files("migrations")
    found = [
        Migration(f.name, f.read_text(encoding="utf-8"))
        for f in files.iterdir()
        if f.name.endswith(".sql") and f.name[:4].isdigit()
    ]
    return sorted(found, key=lambda m: m.name)


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply every migration not yet applied; return the names applied now."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"]: r["checksum"] for r in await conn.fetch("SELECT * FROM schema_migrations")}
        for m in available():
            if m.name in done:
                if done[m.name] != m.checksum:
                    raise MigrationError(f"{m.name} changed after it was applied")
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
                    m.name, m.checksum,
                )
            applied_now.append(m.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied_now
