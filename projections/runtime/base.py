"""What a projection is: a named set of tables kept as a deterministic function of the log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from domain.shared.ports import RecordedEvent

Handler = Callable[[asyncpg.Connection, RecordedEvent], Awaitable[None]]
ANY_EVENT = "*"
"""Key of the catch-all handler of a projection with ``all_events=True``."""


@dataclass(frozen=True)
class Projection:
    """A read model: the tables it owns and a handler per event type it applies.

    Handlers use unqualified table names, so a rebuild can point them at fresh tables
    in another schema through ``search_path``.
    """

    name: str
    tables: tuple[str, ...]
    handlers: dict[str, Handler] = field(default_factory=dict)
    all_events: bool = False
    """Apply every event in the log, including types added later: the runner reads
    every event for it, and the ``on_any`` handler takes the types no ``on`` names."""

    @property
    def event_types(self) -> list[str]:
        return sorted(t for t in self.handlers if t != ANY_EVENT)

    def on_any(self, fn: Handler) -> Handler:
        """Register the catch-all handler (for projections with ``all_events=True``)."""
        self.handlers[ANY_EVENT] = fn
        return fn

    def on(self, *event_types: str) -> Callable[[Handler], Handler]:
        def decorate(fn: Handler) -> Handler:
            for t in event_types:
                self.handlers[t] = fn
            return fn

        return decorate

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        handler = self.handlers.get(event.event_type)
        if handler is None and self.all_events:
            handler = self.handlers[ANY_EVENT]
        if handler is None:
            raise KeyError(event.event_type)
        await handler(conn, event)
