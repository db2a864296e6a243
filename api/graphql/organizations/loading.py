"""The organization tree's loaders that are not plain rows by id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg


def member_count(pool: asyncpg.Pool) -> Callable[[list[UUID]], Awaitable[list[Any]]]:
    """How many members have each organization as their home (0 where none); members who
    have exited (``domain.members.exits``) no longer count."""
    async def load(ids: list[UUID]) -> list[Any]:
        rows = await pool.fetch("SELECT home_organization_id AS id, count(*) AS n FROM members"
                                " WHERE home_organization_id = ANY($1::uuid[]) AND exited_on IS NULL"
                                " GROUP BY 1", list(ids))
        found = {r["id"]: r["n"] for r in rows}
        return [found.get(i, 0) for i in ids]
    return load
