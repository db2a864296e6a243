"""The in-memory event store: the same behaviour as the PostgreSQL one, for unit tests.

The contract tests in ``tests/contract`` run against both implementations. Like the
PostgreSQL store it keeps events as appended and upcasts old ones on the way out, and
it seals personal data on append and opens it on read (``eventstore.personal_keys``),
with a key table and a key-encryption key of its own.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from domain.shared.errors import ClaimConflict, OwnerNotVacant, VersionConflict
from domain.shared.personal import erases
from domain.shared.ports import Append, AppendResult, RecordedEvent
from domain.shared.upcasting import check_writable, upcast_event
from eventstore.personal_keys import PersonalKeys, open_payload


class InMemoryEventStore:
    """A dict-backed event log; every append is atomic under one asyncio lock."""

    def __init__(self, clock: Callable[[], datetime] | None = None,
                 personal: PersonalKeys | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.personal = personal or PersonalKeys.generate()
        self.personal_keys: dict[UUID, dict[str, str]] = {}
        """Subject -> key id -> wrapped data key (the ``personal_keys`` table)."""
        self.erased: set[UUID] = set()
        """Subjects whose personal data was erased (``personal_data_erasures``)."""
        self.events: list[RecordedEvent] = []
        self.streams: dict[UUID, int] = {}
        self.claims: dict[tuple[str, str], UUID] = {}
        self.keys: dict[tuple[str, str], AppendResult] = {}
        self.event_ids: set[UUID] = set()
        self.serials: dict[str, itertools.count[int]] = {}
        self.lock = asyncio.Lock()

    async def append(self, request: Append) -> AppendResult:
        async with self.lock:
            return self._append(request)

    def _append(self, req: Append) -> AppendResult:
        meta, idem = req.metadata, req.idempotency
        for e in req.events:
            check_writable(e.event_type, e.schema_version)
        if idem is not None and (meta.actor, idem.key) in self.keys:
            return self.keys[(meta.actor, idem.key)]
        streams = dict(self.streams)
        for e in req.events:
            if streams.get(e.stream_id, 0) != e.version - 1:
                raise VersionConflict(f"stream {e.stream_id} is no longer at version {e.version - 1}")
            streams[e.stream_id] = e.version
        for stream_id, version in req.guards.items():
            if self.streams.get(stream_id) != version:
                raise VersionConflict(f"stream {stream_id} changed while the command ran")
        claims = dict(self.claims)
        for release in req.releases:
            claims.pop((release.scope, release.key), None)
        for claim in req.claims:
            owner = claims.get((claim.scope, claim.key))
            if owner is not None and owner != claim.owner and not claim.replace:
                raise ClaimConflict(claim.scope, claim.key)
            claims[(claim.scope, claim.key)] = claim.owner
        for owner_id, scopes in req.vacant:
            if any(o == owner_id and s in scopes for (s, _), o in claims.items()):
                raise OwnerNotVacant(f"{owner_id} still holds {', '.join(scopes)} claims")
        if any(e.event_id in self.event_ids for e in req.events):
            raise ValueError("duplicate event id")
        sealed, keys = self.personal.seal(req.events)
        now = self.clock()
        for e in sealed:
            self.events.append(
                RecordedEvent(
                    position=len(self.events) + 1, stream_id=e.stream_id,
                    stream_type=e.stream_type, version=e.version, event_id=e.event_id,
                    event_type=e.event_type, schema_version=e.schema_version,
                    payload=copy.deepcopy(e.payload), recorded_at=now, actor=meta.actor,
                    actor_roles=tuple(meta.actor_roles), correlation_id=meta.correlation_id,
                    causation_id=meta.causation_id, command_id=meta.command_id,
                    reason=meta.reason,
                )
            )
            self.event_ids.add(e.event_id)
        self.streams, self.claims = streams, claims
        for k in keys:
            self.personal_keys.setdefault(k.subject_id, {})[str(k.key_id)] = k.wrapped
        for e in req.events:
            if erases(e.event_type):
                self.personal_keys.pop(e.stream_id, None)
                self.erased.add(e.stream_id)
        result = AppendResult(len(self.events), dict(req.result))
        if idem is not None:
            self.keys[(meta.actor, idem.key)] = AppendResult(
                result.last_position, dict(req.result), True, idem.fingerprint
            )
        return result

    def _read(self, e: RecordedEvent) -> RecordedEvent:
        """``e`` as readers see it: personal data opened (null once erased), upcast."""
        if e.stream_id in self.erased:
            state: dict[str, object] | None = {"erased": True}
        else:
            found = self.personal_keys.get(e.stream_id)
            state = None if found is None else {"keys": found}
        payload = open_payload(e.payload, e.stream_id, state, self.personal)
        return upcast_event(e if payload is e.payload else dataclasses.replace(e, payload=payload))

    async def read_stream(self, stream_id: UUID, after_version: int = 0) -> list[RecordedEvent]:
        return [self._read(e) for e in self.events
                if e.stream_id == stream_id and e.version > after_version]

    async def read_log(
        self, after_position: int, limit: int, event_types: Sequence[str] | None = None
    ) -> list[RecordedEvent]:
        found = (
            e for e in self.events[after_position:]
            if event_types is None or e.event_type in event_types
        )
        return [self._read(e) for e in itertools.islice(found, limit)]

    async def head(self) -> int:
        return len(self.events)

    async def recall(self, actor: str, key: str) -> AppendResult | None:
        return self.keys.get((actor, key))

    async def next_serial(self, name: str) -> int:
        return next(self.serials.setdefault(name, itertools.count(1)))
