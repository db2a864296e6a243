"""What an area of the domain declares, once: its aggregates, commands and handlers.

The one list of areas (``api/areas.py``) holds each area's declaration; the event
registry, the permission table and the command handling are built from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from eventsourcing.domain import Aggregate

from domain.shared import events as ev
from domain.shared.commands import Command
from domain.shared.handling import Clock, Directory, Handler, Handling
from domain.shared.permissions import Role
from domain.shared.ports import EventStore


@dataclass(frozen=True)
class DomainArea:
    """One area's domain: the aggregates whose events it records and its use cases."""

    name: str
    aggregates: tuple[type[Aggregate], ...]
    handlers: Mapping[type[Command], Handler]
    depends_on: tuple[str, ...] = ()
    """Areas whose aggregates this one reads (declared, and checked by import contracts)."""

    @property
    def commands(self) -> tuple[type[Command], ...]:
        return tuple(self.handlers)


def register_events(areas: Iterable[DomainArea]) -> None:
    """Make every event of every listed aggregate decodable by its type name."""
    for area in areas:
        for aggregate in area.aggregates:
            ev.register(aggregate)


def permission_table(areas: Iterable[DomainArea]) -> dict[str, frozenset[Role]]:
    """Who may run each command, by the command's name (for docs and tests)."""
    return {c.action: c.allowed for area in areas for c in area.commands}


def build_handling(areas: Sequence[DomainArea], store: EventStore, directory: Directory, clock: Clock,
                   services: Mapping[type, object] | None = None, fingerprint_key: bytes = b"") -> Handling:
    """The one command handling, with every area's handlers and registered events."""
    register_events(areas)
    handlers: dict[type[Command], Handler] = {}
    for area in areas:
        handlers.update(area.handlers)
    return Handling(store, directory, clock, handlers, services, fingerprint_key)
