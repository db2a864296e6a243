"""What a projection is: a named set of tables kept as a deterministic function of the log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from domain.ports import RecordedEvent

Handler = Callable[[asyncpg.Connection, RecordedEvent], Awaitable[None]]


@dataclass(frozen=True)
class Projection:
    """A read model: the tables it owns and a handler per event type it applies.

    Handlers use unqualified table names, so a rebuild can point them at fresh tables
    in another schema through ``search_path``.
    """

    name: str
    tables: tuple[str, ...]
    handlers: dict[str, Handler] = field(default_factory=dict)

    @property
    def event_types(self) -> list[str]:
        return sorted(self.handlers)

    def on(self, *event_types: str) -> Callable[[Handler], Handler]:
        def decorate(fn: Handler) -> Handler:
            for t in event_types:
                self.handlers[t] = fn
            return fn

        return decorate

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        await self.handlers[event.event_type](conn, event)
