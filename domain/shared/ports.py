"""What the command handlers need from the outside world, as plain types and protocols.

The asyncpg event store (``eventstore.postgres``) and its in-memory twin
(``eventstore.memory``) both implement ``EventStore``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

JSON = dict[str, Any]


@dataclass(frozen=True)
class Metadata:
    """Who did it, why, and in answer to which request: stored as real columns."""

    actor: str
    """The token subject of the person or system that issued the command."""
    actor_roles: tuple[str, ...]
    """The roles the actor held when the command ran."""
    correlation_id: UUID
    """One id per request; every event a request causes carries it."""
    causation_id: UUID | None = None
    """The event or command that caused this one, where there is one."""
    command_id: str | None = None
    """The client's idempotency key, if it sent one."""
    reason: str | None = None
    """The reason the command states (returns, justifications, corrections)."""


@dataclass(frozen=True)
class NewEvent:
    """An event decided by an aggregate, ready to append."""

    stream_id: UUID
    stream_type: str
    version: int
    event_id: UUID
    event_type: str
    schema_version: int
    payload: JSON


@dataclass(frozen=True)
class RecordedEvent:
    """An event as the log holds it."""

    position: int
    stream_id: UUID
    stream_type: str
    version: int
    event_id: UUID
    event_type: str
    schema_version: int
    payload: JSON
    recorded_at: datetime
    actor: str
    actor_roles: tuple[str, ...]
    correlation_id: UUID | None
    causation_id: UUID | None
    command_id: str | None
    reason: str | None


@dataclass(frozen=True)
class Claim:
    """A unique natural key (``scope``, ``key``) held by ``owner``.

    Claims enforce set rules inside the append transaction: an ID number registered
    once, a division code used once, one home organization per member. With
    ``replace`` the key moves to the new owner instead of conflicting.
    """

    scope: str
    key: str
    owner: UUID
    replace: bool = False


@dataclass(frozen=True)
class Release:
    """Give up the claim (``scope``, ``key``)."""

    scope: str
    key: str


@dataclass(frozen=True)
class Idempotency:
    """A client's idempotency key for one command, scoped to the actor."""

    key: str
    fingerprint: str
    """A digest of the command's input; reusing a key for other input is refused."""


@dataclass(frozen=True)
class AppendResult:
    """Where the appended events landed, or the first result of a repeated command."""

    last_position: int
    result: JSON = field(default_factory=dict)
    replayed: bool = False
    fingerprint: str | None = None
    """For a replay: the fingerprint of the command that first used the key."""


@dataclass(frozen=True)
class Append:
    """One atomic append: every event commits in one transaction or none does."""

    events: Sequence[NewEvent]
    metadata: Metadata
    guards: Mapping[UUID, int] = field(default_factory=dict)
    """Streams read but not written, which must still be at these versions."""
    claims: Sequence[Claim] = ()
    releases: Sequence[Release] = ()
    vacant: Sequence[tuple[UUID, tuple[str, ...]]] = ()
    """(owner, scopes): the owner must hold no claim in these scopes at commit."""
    idempotency: Idempotency | None = None
    result: JSON = field(default_factory=dict)
    """What a repeat of this command (same idempotency key) returns."""


class EventStore(Protocol):
    """The event log as the command handlers and projections see it."""

    async def append(self, request: Append) -> AppendResult: ...

    async def read_stream(self, stream_id: UUID, after_version: int = 0) -> list[RecordedEvent]:
        ...

    async def read_log(
        self, after_position: int, limit: int, event_types: Sequence[str] | None = None
    ) -> list[RecordedEvent]: ...

    async def head(self) -> int: ...

    async def recall(self, actor: str, key: str) -> AppendResult | None:
        """The result (with fingerprint) of an earlier command with this key, if any."""
        ...

    async def next_serial(self, name: str) -> int: ...
