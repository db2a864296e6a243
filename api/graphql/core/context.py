"""The per-request context every resolver receives."""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from strawberry.dataloader import DataLoader
from strawberry.types import Info as _Info

from api import views
from api.config import Settings
from domain.shared.handling import Handling
from domain.shared.permissions import Actor
from projections.runtime.supervisor import Supervisor


def _by_id(rows: list[asyncpg.Record], ids: list[UUID]) -> list[asyncpg.Record | None]:
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


@dataclass
class Loaders:
    """Per-request DataLoaders: nested fields cost one query per level, not per row.

    Each loader is created on first use: most requests need one or two of them.
    """

    pool: asyncpg.Pool

    def __post_init__(self) -> None:
        """Subclasses may adjust the loaders here (creating them as they touch them)."""

    @functools.cached_property
    def organization(self) -> DataLoader[UUID, Any]:
        pool = self.pool

        async def orgs(ids: list[UUID]) -> list[Any]:
            return _by_id(await views.organizations_by_id(pool, ids), ids)

        return DataLoader(orgs)

    @functools.cached_property
    def member(self) -> DataLoader[UUID, Any]:
        pool = self.pool

        async def members(ids: list[UUID]) -> list[Any]:
            return _by_id(await views.members_by_id(pool, ids), ids)

        return DataLoader(members)

    @functools.cached_property
    def member_count(self) -> DataLoader[UUID, int]:
        pool = self.pool

        async def counts(ids: list[UUID]) -> list[int]:
            found = await views.member_counts(pool, ids)
            return [found.get(i, 0) for i in ids]

        return DataLoader(counts)

    @functools.cached_property
    def transfers_of_member(self) -> DataLoader[UUID, list[Any]]:
        pool = self.pool

        async def transfers(ids: list[UUID]) -> list[list[Any]]:
            by_member: dict[UUID, list[Any]] = {i: [] for i in ids}
            for r in await views.transfers_by_member(pool, ids):
                by_member[r["member_id"]].append(r)
            return [by_member[i] for i in ids]

        return DataLoader(transfers)

    # -- funds: rows grouped by their parent, one query per level --------------------

    def _grouped(self, sql: str, column: str) -> DataLoader[UUID, list[Any]]:
        """A loader of ``sql``'s rows (it takes the ids as $1) grouped by ``column``."""
        pool = self.pool

        async def load(ids: list[UUID]) -> list[list[Any]]:
            found: dict[UUID, list[Any]] = {i: [] for i in ids}
            for r in await pool.fetch(sql, list(ids)):
                found[r[column]].append(r)
            return [found[i] for i in ids]

        return DataLoader(load)

    @functools.cached_property
    def children(self) -> DataLoader[UUID, list[Any]]:
        return self._grouped("SELECT * FROM organizations WHERE parent_id = ANY($1::uuid[])"
                             " ORDER BY name, id", "parent_id")

    @functools.cached_property
    def fund(self) -> DataLoader[UUID, Any]:
        pool = self.pool

        async def funds(ids: list[UUID]) -> list[Any]:
            return _by_id(await pool.fetch("SELECT * FROM funds WHERE id = ANY($1::uuid[])", ids), ids)

        return DataLoader(funds)

    @functools.cached_property
    def projects_of_fund(self) -> DataLoader[UUID, list[Any]]:
        return self._grouped("SELECT * FROM projects WHERE fund_id = ANY($1::uuid[])"
                             " ORDER BY proposed_position", "fund_id")

    @functools.cached_property
    def payments_of_project(self) -> DataLoader[UUID, list[Any]]:
        return self._grouped("SELECT * FROM fund_movements WHERE project_id = ANY($1::uuid[])"
                             " AND movement IN ('PAYMENT', 'REVERSAL') ORDER BY version", "project_id")

    @functools.cached_property
    def findings_of_inspection(self) -> DataLoader[UUID, list[Any]]:
        return self._grouped("SELECT * FROM inspection_findings WHERE inspection_id = ANY($1::uuid[])"
                             " ORDER BY position", "inspection_id")

    def reset(self) -> None:
        """Drop every loader this request created: after a mutation, any cached row (a
        parent's children, a count, a fund's projects) may be stale, not only the changed one."""
        for name in [n for n, v in self.__dict__.items() if isinstance(v, DataLoader)]:
            del self.__dict__[name]

    def forget(self, key: UUID) -> None:
        """Drop cached rows for ``key`` after a change (strawberry raises on a miss)."""
        for name in ("organization", "member", "member_count", "transfers_of_member", "children", "fund",
                     "projects_of_fund", "payments_of_project", "findings_of_inspection"):
            loader = self.__dict__.get(name)  # only the loaders this request created
            if loader is not None:
                with contextlib.suppress(KeyError):
                    loader.clear(key)


@dataclass
class Context:
    """Who is asking, and the services a resolver may use."""

    actor: Actor
    pool: asyncpg.Pool
    commands: Handling
    supervisor: Supervisor
    settings: Settings
    correlation_id: UUID
    loaders: Loaders
    clock: Any
    position: int = 0
    """The log position the response reflects (reported in ``extensions.position``)."""

    def today(self) -> date:
        now: datetime = self.clock()
        return now.date()

    def page_size(self, first: int | None) -> int:
        if first is None:
            return min(50, self.settings.max_page_size)
        if first < 1 or first > self.settings.max_page_size:
            raise ValueError(f"first must be 1–{self.settings.max_page_size}")
        return first


Info = _Info[Context, None]
