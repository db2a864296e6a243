"""The one command-handling mechanism: authorize → load → decide → append.

Every area's use cases are handlers ``async def handle(command, unit) -> Decision``:
the handler loads what it needs through the ``Unit`` (each stream once), authorizes
against the organization the command concerns, checks the version the client
expected, calls the aggregate's method and returns what to append. ``Handling.run``
does the rest, the same way for every area: the idempotency key (a repeated key with
another input is refused), metadata, bounded retries when another writer got there
first (each retry is a fresh ``Unit``: nothing is read twice within an attempt), and
the translation of the store's set-rule conflicts into typed errors.

``api/bootstrap.py`` builds one ``Handling`` with every area's handlers, once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.shared import events as ev
from domain.shared.commands import Command, Outcome, Request, fingerprint
from domain.shared.errors import (
    AlreadyExists,
    ClaimConflict,
    DomainError,
    IdempotencyKeyReused,
    InvalidInput,
    NotAuthorized,
    NotFound,
    OrganizationNotEmpty,
    OwnerNotVacant,
    VersionConflict,
)
from domain.shared.permissions import authorize
from domain.shared.ports import (
    JSON,
    Append,
    AppendResult,
    Claim,
    EventStore,
    Idempotency,
    Metadata,
    NewEvent,
    Release,
)

A = TypeVar("A", bound=Aggregate)
C = TypeVar("C", bound=Command)
S = TypeVar("S")
MAX_ATTEMPTS = 5


class Directory(Protocol):
    """Where an organization sits: its root-first chain of ids, ending with itself."""

    async def path_of(self, organization_id: UUID) -> list[UUID] | None: ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...


@dataclass(frozen=True)
class Decision:
    """What a handler decided: the events to append and the rules they must hold to."""

    stream_id: UUID
    """The object the command created or changed (the outcome's id)."""
    events: Sequence[NewEvent]
    guards: Mapping[UUID, int] = field(default_factory=dict)
    """Streams read but not written, which must still be at these versions."""
    claims: Sequence[Claim] = ()
    releases: Sequence[Release] = ()
    vacant: Sequence[tuple[UUID, tuple[str, ...]]] = ()
    result: JSON = field(default_factory=dict)
    """Ids the client needs back (kept with the idempotency key, so never secrets)."""
    reason: str | None = None
    """The stated reason, recorded in the events' metadata."""
    private: JSON = field(default_factory=dict)
    """Returned to this caller only, never stored (a generated webhook secret)."""
    claim_fields: Mapping[str, str] = field(default_factory=dict)
    """Input field to name when a claim's scope is taken (``AlreadyExists.field``)."""
    claim_errors: Mapping[str, type[AlreadyExists]] = field(default_factory=dict)
    """The area's own error when a claim's scope is taken (``GridCodeTaken``); else AlreadyExists."""


Handler = Callable[[Any, "Unit"], Awaitable[Decision]]
"""``async def handle(command, unit) -> Decision``."""


class Unit:
    """One attempt at one command: what a handler loads, authorizes and checks through."""

    def __init__(self, handling: Handling, command: Command, request: Request, *,
                 replaying: bool = False) -> None:
        self.handling = handling
        self.command = command
        self.request = request
        self.replaying = replaying
        """Authorizing a repeated idempotency key: the handler must have no side effects."""
        self.store = handling.store
        self.directory = handling.directory
        self.authorized = False

    @property
    def actor(self) -> Any:
        return self.request.actor

    def today(self) -> date:
        return self.handling.clock().date()

    def need(self, kind: type[S]) -> S:
        """A dependency an area's handlers take (local rules, a port), as bootstrap gave it."""
        found = self.handling.services.get(kind)
        if found is None:
            try:  # local rules with defaults (TransferRules()) need not be given
                found = self.handling.services[kind] = kind()
            except TypeError:
                raise LookupError(f"no {kind.__name__} was given to the command handling") from None
        return found  # type: ignore[return-value]

    async def find(self, cls: type[A], stream_id: UUID) -> A | None:
        """The aggregate, or None if there is none of this kind (an id of another kind of
        object is "not found", never replayed as this one)."""
        rows = await self.store.read_stream(stream_id)
        if not rows or rows[0].stream_type != cls.__name__:
            return None
        found = ev.replay(cls, rows)
        return found if isinstance(found, cls) else None

    async def load(self, cls: type[A], stream_id: UUID, what: str) -> A:
        """The aggregate, or NotFound naming the input field ``<what>Id``."""
        found = await self.find(cls, stream_id)
        if found is None:
            raise NotFound(f"no {what} {stream_id}", field=f"{what}Id")
        return found

    async def authorize(self, organization_id: UUID | None, field: str | None = None,
                        grid: UUID | None = None) -> list[UUID]:
        """Check the command against the organization it concerns; return that one's path.

        ``None`` stands for "no organization" (establishing a root, a whole-system
        webhook): only whole-system actors pass. ``grid``: the grid the command acts within
        (``organization_id`` is then its community); a grid-scoped actor passes only there.
        """
        path = [] if organization_id is None else await self.directory.path_of(organization_id)
        if path is None:
            raise NotFound(f"no organization {organization_id}", field=field)
        authorize(self.request.actor, type(self.command), path, grid=grid)
        self.authorized = True
        return path

    def authorize_system(self) -> None:
        """System commands (pausing a failing webhook) run only as the system itself."""
        if not getattr(self.request.actor, "system", False):
            raise NotAuthorized(f"{self.command.action} is run by the system only")
        self.authorized = True

    def expect(self, aggregate: Aggregate) -> None:
        """Refuse with VersionConflict if the client expected another version."""
        expected = self.request.expected_version
        if expected is not None and aggregate.version != expected:
            raise VersionConflict(
                f"expected version {expected}, the stream is at {aggregate.version}",
                field="expectedVersion",
            )


class Handling:
    """Runs any area's command: the one mechanism, built once with every handler."""

    def __init__(
        self,
        store: EventStore,
        directory: Directory,
        clock: Clock,
        handlers: Mapping[type[Command], Handler],
        services: Mapping[type, object] | None = None,
        fingerprint_key: bytes = b"",
    ) -> None:
        self.store = store
        self.fingerprint_key = fingerprint_key
        self.directory = directory
        self.clock = clock
        self.handlers = dict(handlers)
        self.services: dict[type, object] = dict(services or {})

    def today(self) -> date:
        return self.clock().date()

    async def run(self, command: Command, req: Request) -> Outcome:
        """Decide and append ``command``, with idempotency and bounded retries.

        A version conflict (another writer got there first) is retried against fresh
        state, a bounded number of times, unless the client stated the version it
        expected.
        """
        handler = self.handlers.get(type(command))
        if handler is None:
            raise LookupError(f"no handler for {type(command).__name__}: is its area listed?")
        idem = None
        if req.idempotency_key is not None:
            if not 1 <= len(req.idempotency_key) <= 200:
                raise InvalidInput("an idempotency key has 1–200 characters", field="idempotencyKey")
            idem = Idempotency(req.idempotency_key, fingerprint(command, self.fingerprint_key))
            earlier = await self.store.recall(req.actor.subject, req.idempotency_key)
            if earlier is not None:
                replay = _replayed(idem, earlier)
                await self._authorize_replay(handler, command, req)
                return replay
        for attempt in range(MAX_ATTEMPTS):
            unit = Unit(self, command, req)
            decision = await handler(command, unit)
            if not unit.authorized:
                raise AssertionError(f"the handler of {command.action} never authorized the command")
            meta = Metadata(
                actor=req.actor.subject,
                actor_roles=req.actor.role_names,
                correlation_id=req.correlation_id,
                command_id=req.idempotency_key,
                reason=decision.reason,
            )
            request = Append(
                events=decision.events, metadata=meta, guards=decision.guards,
                claims=decision.claims, releases=decision.releases, vacant=decision.vacant,
                idempotency=idem, result={"id": str(decision.stream_id), **decision.result},
            )
            try:
                result = await self.store.append(request)
            except VersionConflict:
                if req.expected_version is not None or attempt == MAX_ATTEMPTS - 1:
                    raise
                continue
            except ClaimConflict as exc:
                error = decision.claim_errors.get(exc.scope, AlreadyExists)
                raise error(error.claimed(exc.scope, exc.key), field=decision.claim_fields.get(exc.scope)) from exc
            except OwnerNotVacant as exc:
                raise OrganizationNotEmpty(
                    "the organization still has members or child organizations"
                ) from exc
            if result.replayed:
                assert idem is not None
                return _replayed(idem, result)
            return Outcome(UUID(result.result["id"]), result.last_position,
                           extra={**result.result, **decision.private})
        raise AssertionError("unreachable")

    async def _authorize_replay(self, handler: Handler, command: Command, req: Request) -> None:
        """A repeated key answers with the first result only if the actor may still run the
        command: its roles or scope may have changed since. The handler runs again in
        replay mode (no side effects, nothing appended) as far as its authorization; a
        domain error after that (the state moved on: the transfer was accepted) is what
        the first run changed, not a refusal."""
        unit = Unit(self, command, req, replaying=True)
        try:
            await handler(command, unit)
        except NotAuthorized:
            raise
        except DomainError:
            if not unit.authorized:
                raise
        if not unit.authorized:
            raise AssertionError(f"the handler of {command.action} never authorized the command")


def _replayed(idem: Idempotency, result: AppendResult) -> Outcome:
    if result.fingerprint != idem.fingerprint:
        raise IdempotencyKeyReused(
            "this idempotency key was used for a different command", field="idempotencyKey"
        )
    return Outcome(UUID(result.result["id"]), result.last_position, True, result.result)


def changed(aggregate: Aggregate, **kwargs: Any) -> Decision:
    """The decision to append what ``aggregate`` recorded (the common case)."""
    return Decision(aggregate.id, ev.to_new_events(aggregate), **kwargs)


__all__: Sequence[str] = [
    "Clock", "Decision", "Directory", "Handler", "Handling", "Unit",
    "changed",
]
