"""The per-request context every resolver receives."""

from __future__ import annotations

import contextlib

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from strawberry.dataloader import DataLoader
from strawberry.types import Info as _Info

from api import views
from api.config import Settings
from domain.handlers import Commands
from domain.permissions import Actor
from projections.supervisor import Supervisor


def _by_id(rows: list[asyncpg.Record], ids: list[UUID]) -> list[asyncpg.Record | None]:
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


@dataclass
class Loaders:
    """Per-request DataLoaders: nested fields cost one query per level, not per row."""

    pool: asyncpg.Pool
    organization: DataLoader[UUID, Any] = field(init=False)
    member: DataLoader[UUID, Any] = field(init=False)
    member_count: DataLoader[UUID, int] = field(init=False)
    transfers_of_member: DataLoader[UUID, list[Any]] = field(init=False)

    def __post_init__(self) -> None:
        pool = self.pool

        async def orgs(ids: list[UUID]) -> list[Any]:
            return _by_id(await views.organizations_by_id(pool, ids), ids)

        async def members(ids: list[UUID]) -> list[Any]:
            return _by_id(await views.members_by_id(pool, ids), ids)

        async def counts(ids: list[UUID]) -> list[int]:
            found = await views.member_counts(pool, ids)
            return [found.get(i, 0) for i in ids]

        async def transfers(ids: list[UUID]) -> list[list[Any]]:
            rows = await views.transfers_by_member(pool, ids)
            return [[r for r in rows if r["member_id"] == i] for i in ids]

        self.organization = DataLoader(orgs)
        self.member = DataLoader(members)
        self.member_count = DataLoader(counts)
        self.transfers_of_member = DataLoader(transfers)

    def forget(self, key: UUID) -> None:
        """Drop cached rows for ``key`` after a change (strawberry raises on a miss)."""
        for loader in (self.organization, self.member, self.member_count, self.transfers_of_member):
            with contextlib.suppress(KeyError):
                loader.clear(key)


@dataclass
class Context:
    """Who is asking, and the services a resolver may use."""

    actor: Actor
    pool: asyncpg.Pool
    commands: Commands
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
