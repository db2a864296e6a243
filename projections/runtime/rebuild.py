"""Rebuild a projection: replay the log into fresh tables, then swap them in.

The fresh tables are created in a schema of their own with ``LIKE … INCLUDING ALL``
(so the migrations stay the only owner of the table definitions) and filled page by
page while the live tables keep serving. ``LIKE`` copies neither ownership nor GRANTs,
so the swap first gives each fresh table the owner and privileges of the live one. The
swap locks the live tracking row (which pauses the live runner between two pages),
applies the last events, exchanges the tables, and moves the tracking position, all in
one transaction. Pages are read and applied by the runner's ``apply_page``, the code
the live runner runs.
"""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from eventstore.db import connect
from projections.runtime.base import Projection
from projections.runtime.runner import apply_page, ensure_tracking

PAGE = 2000


async def rebuild(dsn: str, projection: Projection,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild ``projection``; report (position, head) as it goes; return the final position."""
    name = projection.name
    fresh, old = f"rebuild_{name}", f"retired_{name}"
    conn = await connect(dsn)
    try:
        await ensure_tracking(conn, name)
        await conn.execute(f"DROP SCHEMA IF EXISTS {fresh} CASCADE")
        await conn.execute(f"CREATE SCHEMA {fresh}")
        for table in projection.tables:
            await conn.execute(f"CREATE TABLE {fresh}.{table} (LIKE public.{table} INCLUDING ALL)")
        await conn.execute(f"SET search_path TO {fresh}, public")
        position = 0
        while True:
            head = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
            if position >= head:
                break
            async with conn.transaction():
                position = (await apply_page(conn, [(projection, position)], head, PAGE))[name]
            if progress is not None:
                progress(position, head)
        async with conn.transaction():
            await conn.fetchval(
                "SELECT position FROM projection_tracking WHERE name = $1 FOR UPDATE", name
            )
            while True:
                head = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
                if position >= head:
                    break
                position = (await apply_page(conn, [(projection, position)], head, PAGE))[name]
            await conn.execute(f"DROP SCHEMA IF EXISTS {old} CASCADE")
            await conn.execute(f"CREATE SCHEMA {old}")
            for table in projection.tables:
                await copy_privileges(conn, f"public.{table}", f"{fresh}.{table}")
            for table in projection.tables:
                await conn.execute(f"ALTER TABLE public.{table} SET SCHEMA {old}")
                await conn.execute(f"ALTER TABLE {fresh}.{table} SET SCHEMA public")
            await conn.execute(
                "UPDATE projection_tracking SET position = $2, status = 'RUNNING', last_error = NULL,"
                " failed_position = NULL, failed_at = NULL, updated_at = now() WHERE name = $1",
                name, position,
            )
        await conn.execute("RESET search_path")
        await conn.execute(f"DROP SCHEMA {old} CASCADE")
        await conn.execute(f"DROP SCHEMA {fresh} CASCADE")
        if progress is not None:
            progress(position, position)
        return position
    finally:
        await conn.close()


async def copy_privileges(conn: asyncpg.Connection, source: str, target: str) -> None:
    """Give ``target`` the owner and the table and column privileges of ``source``.

    ``LIKE … INCLUDING ALL`` copies neither: without this, GRANTs on a read-model
    table (a reporting role's SELECT, say) would silently vanish with the swap.
    """
    owner, acl = await conn.fetchrow(
        "SELECT relowner::regrole::text, relacl IS NOT NULL FROM pg_class WHERE oid = $1::regclass",
        source,
    )
    await conn.execute(f"ALTER TABLE {target} OWNER TO {owner}")
    if acl:
        # An explicit ACL may have taken rights from the owner too: start from nothing.
        await conn.execute(f"REVOKE ALL ON {target} FROM PUBLIC, {owner}")
    grants = await conn.fetch(
        """
        SELECT NULL AS column_name, a.privilege_type, a.is_grantable,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS grantee
          FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = $1::regclass
        UNION ALL
        SELECT quote_ident(att.attname), a.privilege_type, a.is_grantable,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END
          FROM pg_attribute att, aclexplode(att.attacl) a
         WHERE att.attrelid = $1::regclass AND att.attnum > 0 AND NOT att.attisdropped
        """,
        source,
    )
    for g in grants:
        columns = "" if g["column_name"] is None else f" ({g['column_name']})"
        option = " WITH GRANT OPTION" if g["is_grantable"] else ""
        await conn.execute(
            f"GRANT {g['privilege_type']}{columns} ON {target} TO {g['grantee']}{option}"
        )


async def projection_names(conn: asyncpg.Connection) -> list[str]:
    return [r["name"] for r in await conn.fetch("SELECT name FROM projection_tracking ORDER BY name")]
