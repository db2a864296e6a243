"""Where an organization sits, walked through the event store (for tests and tools)."""

from __future__ import annotations

from uuid import UUID

from domain.organizations.aggregate import Organization
from domain.shared import events as ev
from domain.shared.ports import EventStore


class AggregateDirectory:
    """A Directory that walks parent links through the event store (no read model)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def path_of(self, organization_id: UUID) -> list[UUID] | None:
        path: list[UUID] = []
        current: UUID | None = organization_id
        while current is not None:
            org = ev.replay(Organization, await self.store.read_stream(current))
            if org is None or current in path:
                return None if org is None else path[::-1]
            path.append(current)
            current = org.parent_id
        return path[::-1]
