"""The per-request context every resolver receives."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from strawberry.dataloader import DataLoader
from strawberry.types import Info as _Info

from api.config import Settings
from domain.shared.handling import Handling
from domain.shared.permissions import Actor
from projections.runtime.supervisor import Supervisor

Batch = Callable[[asyncpg.Pool], Callable[[list[UUID]], Awaitable[list[Any]]]]
"""A loader's batch function, given the pool: ids in, one value per id out, in order."""


def by_id(sql: str) -> Batch:
    """A batch of rows by id (``sql`` takes the ids as $1), None where there is none."""
    def batch(pool: asyncpg.Pool) -> Callable[[list[UUID]], Awaitable[list[Any]]]:
        async def load(ids: list[UUID]) -> list[Any]:
            found = {r["id"]: r for r in await pool.fetch(sql, list(ids))}
            return [found.get(i) for i in ids]
        return load
    return batch


def grouped(sql: str, column: str) -> Batch:
    """A batch of ``sql``'s rows (it takes the ids as $1) grouped by ``column``."""
    def batch(pool: asyncpg.Pool) -> Callable[[list[UUID]], Awaitable[list[Any]]]:
        async def load(ids: list[UUID]) -> list[list[Any]]:
            found: dict[UUID, list[Any]] = {i: [] for i in ids}
            for r in await pool.fetch(sql, list(ids)):
                found[r[column]].append(r)
            return [found[i] for i in ids]
        return load
    return batch


_INSTALLED: dict[str, Batch] = {}


def install_loaders(batches: Mapping[str, Batch]) -> None:
    """Called once by the schema composition with every area's loaders."""
    _INSTALLED.clear()
    _INSTALLED.update(batches)


class Loaders:
    """Per-request DataLoaders: nested fields cost one query per level, not per row.

    The loaders are the areas' (``ApiArea.loaders``, installed by the schema
    composition), each created on first use as an attribute (``loaders.organization``):
    most requests need one or two of them. With ``cache=False`` they batch but never
    cache (a WebSocket connection lives long and rows change).
    """

    cache = True

    def __init__(self, pool: asyncpg.Pool, batches: Mapping[str, Batch] | None = None) -> None:
        self.pool = pool
        self._batches = _INSTALLED if batches is None else batches

    def __getattr__(self, name: str) -> DataLoader[UUID, Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        batch = self._batches.get(name)
        if batch is None:
            raise AttributeError(f"no loader {name!r}: which area declares it?")
        loader: DataLoader[UUID, Any] = DataLoader(batch(self.pool))
        if not self.cache:
            loader.cache = False
        self.__dict__[name] = loader
        return loader

    def reset(self) -> None:
        """Drop every loader this request created: after a mutation, any cached row (a
        parent's children, a count, a fund's projects) may be stale, not only the changed one."""
        for name in [n for n, v in self.__dict__.items() if isinstance(v, DataLoader)]:
            del self.__dict__[name]

    def forget(self, key: UUID) -> None:
        """Drop cached rows for ``key`` after a change (strawberry raises on a miss)."""
        for loader in [v for v in self.__dict__.values() if isinstance(v, DataLoader)]:
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
            return self.settings.default_page_size
        if first < 1 or first > self.settings.max_page_size:
            raise ValueError(f"first must be 1–{self.settings.max_page_size}")
        return first


Info = _Info[Context, None]
