"""The PostgreSQL event store.

Positions: the identity value is drawn while the transaction holds an advisory
transaction lock, and PostgreSQL releases that lock only after the commit is visible.
So positions increase in commit-visibility order, and a reader that has seen position P
can never later find a smaller position committed: reading ``position > P`` never
skips. Only the final insert and commit are serialised; stream version checks, claims
and guards run before the lock, concurrently, under row locks of their own.

An append is one call of the ``grassroots_append`` function (migrations/0007, given
authenticators by 0012), made outside an explicit transaction: one round trip, and the
log lock is released by the commit that follows the function inside the server, never
held across the network.

Every event is appended with its append authenticator, made here with the application's
append key (``eventstore.integrity.authenticators``) over what the row will hold (the
payload as sealed, in its jsonb text): the log hasher seals only rows whose
authenticator verifies, so a row written with SQL is never sealed as if it were real.

Rows are never updated, so old events keep the payload shape and ``schema_version``
they were written in; ``row_to_event`` upcasts them to the current shape
(``domain.shared.upcasting``). Every reader of the log that hands payloads to code
goes through it.

Personal data is sealed on append and opened by ``row_to_event``
(``eventstore.personal_keys``): the append draws the data keys and inserts them, or
destroys an erased subject's keys, in the same statement as the events; readers select
``EVENT_COLUMNS``, which carries each row's key state, so they open exactly what their
snapshot holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from domain.shared.errors import ClaimConflict, OwnerNotVacant, VersionConflict
from domain.shared.personal import erases, has_personal
from domain.shared.ports import Append, AppendResult, NewEvent, RecordedEvent
from domain.shared.upcasting import UnknownSchemaVersion, check_writable, upcast
from eventstore.integrity.authenticators import AppendKeys, append_digest
from eventstore.integrity.authenticators import installed as installed_append_keys
from eventstore.integrity.encoding import append_event_text, append_metadata_text
from eventstore.notifier import NOTIFY_CHANNEL
from eventstore.personal_keys import PersonalKeys, installed, keys_column, open_row
from eventstore.personal_keys import forget as forget_installed

LOG_LOCK = 0x6C6F67  # pg_advisory_xact_lock key that orders appends ("log")

_COLUMNS = (
    "position, stream_id, stream_type, version, event_id, event_type, schema_version, payload,"
    " recorded_at, actor, actor_roles, correlation_id, causation_id, command_id, reason"
)


def event_columns(alias: str | None = None) -> str:
    """The select list a reader of the log needs for ``row_to_event``: the event's columns
    and its stream's personal-data key state, qualified with ``alias`` if given."""
    prefix = f"{alias}." if alias else ""
    columns = ", ".join(f"{prefix}{c.strip()}" for c in _COLUMNS.split(","))
    return f"{columns}, {keys_column(prefix + 'stream_id')}"


EVENT_COLUMNS = event_columns()
"""``SELECT {EVENT_COLUMNS} FROM events ...``: what ``row_to_event`` reads (with a table
alias, ``event_columns("e")``)."""

_CALL = f"grassroots_append({', '.join(f'${i}' for i in range(1, 35))})"
_APPEND = f"SELECT * FROM {_CALL}"
# With personal data: the keys drawn for it are inserted, and erased subjects' keys
# deleted (and tombstoned), in the same statement, only if the append happened (a
# replayed idempotency key appends nothing and keeps the first attempt's keys).
_APPEND_PERSONAL = f"""
WITH a AS (SELECT * FROM {_CALL}),
k AS (INSERT INTO personal_keys (key_id, subject_id, wrapped)
      SELECT n.key_id, n.subject_id, n.wrapped FROM a,
             unnest($35::uuid[], $36::uuid[], $37::text[]) AS n(key_id, subject_id, wrapped)
       WHERE NOT a.out_replayed),
d AS (DELETE FROM personal_keys p USING a
       WHERE NOT a.out_replayed AND p.subject_id = ANY($38::uuid[])),
t AS (INSERT INTO personal_data_erasures (subject_id)
      SELECT s FROM a, unnest($38::uuid[]) AS s WHERE NOT a.out_replayed
      ON CONFLICT DO NOTHING)
SELECT * FROM a
"""


def _typed(exc: asyncpg.PostgresError, request: Append) -> Exception | None:
    """The domain error for an expected failure of ``grassroots_append``, if it is one."""
    code = getattr(exc, "sqlstate", None)
    if code == "GL001":
        return VersionConflict(str(exc))
    if code == "GL002":
        claim = request.claims[int(exc.detail) - 1]
        return ClaimConflict(claim.scope, claim.key)
    if code == "GL003":
        owner = UUID(exc.detail)
        scopes = next(s for o, s in request.vacant if o == owner)
        return OwnerNotVacant(f"{owner} still holds {', '.join(scopes)} claims")
    return None


def row_to_event(row: asyncpg.Record, keys: PersonalKeys | None = None) -> RecordedEvent:
    """A log row (any query selecting at least ``EVENT_COLUMNS``) as a current-shape event.

    Sealed personal values are opened with the key state the row was read with (null
    once erased) and ``keys`` (by default the process's), then old payloads are upcast
    and reported at the current ``schema_version``; a version newer than this code knows
    raises ``UnknownSchemaVersion``.
    """
    stored = open_row(row["payload"], row["stream_id"], row, keys)
    try:
        schema_version, payload = upcast(row["event_type"], row["schema_version"], stored)
    except UnknownSchemaVersion as exc:
        exc.add_note(f"event {row['event_id']} at position {row['position']}")
        raise
    return RecordedEvent(
        position=row["position"], stream_id=row["stream_id"], stream_type=row["stream_type"],
        version=row["version"], event_id=row["event_id"], event_type=row["event_type"],
        schema_version=schema_version, payload=payload,
        recorded_at=row["recorded_at"], actor=row["actor"],
        actor_roles=tuple(row["actor_roles"]), correlation_id=row["correlation_id"],
        causation_id=row["causation_id"], command_id=row["command_id"], reason=row["reason"],
    )


def authenticate(keys: AppendKeys, events: Sequence[NewEvent], request: Append) -> list[bytes]:
    """One append authenticator per event, over the row it becomes (``events`` as stored)."""
    m = request.metadata
    tail = append_metadata_text(m.actor, m.actor_roles, m.correlation_id, m.causation_id,
                                m.command_id, m.reason)
    return [
        keys.sign(append_digest(append_event_text(
            e.stream_id, e.stream_type, e.version, e.event_id, e.event_type, e.schema_version,
            e.payload, tail)))
        for e in events
    ]


def _has_personal_data(events: Sequence[NewEvent]) -> bool:
    return any(has_personal(e.payload) for e in events)


def _by_stream(events: Sequence[NewEvent]) -> dict[UUID, list[NewEvent]]:
    grouped: dict[UUID, list[NewEvent]] = {}
    for e in events:
        check_writable(e.event_type, e.schema_version)
        grouped.setdefault(e.stream_id, []).append(e)
    for stream_id, items in grouped.items():
        versions = [e.version for e in items]
        if versions != list(range(versions[0], versions[0] + len(versions))):
            raise ValueError(f"stream {stream_id}: versions {versions} are not consecutive")
    return grouped


class PostgresEventStore:
    """Appends and reads events in PostgreSQL through an asyncpg pool."""

    def __init__(self, pool: asyncpg.Pool, personal: PersonalKeys | None = None,
                 append_keys: AppendKeys | None = None) -> None:
        self.pool = pool
        self._personal = personal  # None: the process's keys (``personal_keys.install``)
        self._append_keys = append_keys  # None: the process's (``authenticators.install``)

    @property
    def personal(self) -> PersonalKeys:
        """The keys that seal personal data on append."""
        return self._personal if self._personal is not None else installed()

    @property
    def append_keys(self) -> AppendKeys:
        """The keys whose first authenticates every append."""
        return self._append_keys if self._append_keys is not None else installed_append_keys()

    async def append(self, request: Append) -> AppendResult:
        """Append in one round trip: the ``grassroots_append`` function (migrations 0007,
        0012), each event with its append authenticator, and the personal-data keys the
        events need drawn or destroyed in the same statement."""
        grouped = _by_stream(request.events)
        streams = sorted(grouped)
        meta, idem, events = request.metadata, request.idempotency, request.events
        vacant = [(owner, scope) for owner, scopes in request.vacant for scope in scopes]
        erased = sorted({e.stream_id for e in events if erases(e.event_type)})
        sealed, keys = self.personal.seal(events) if _has_personal_data(events) else (events, [])
        personal = [[k.key_id for k in keys], [k.subject_id for k in keys], [k.wrapped for k in keys],
                     erased] if keys or erased else []
        append_keys = self.append_keys
        macs = authenticate(append_keys, sealed, request)
        try:
            row = await self.pool.fetchrow(
                _APPEND_PERSONAL if personal else _APPEND,
                meta.actor, list(meta.actor_roles), meta.correlation_id, meta.causation_id,
                meta.command_id, meta.reason,
                None if idem is None else idem.key, None if idem is None else idem.fingerprint,
                request.result if idem is not None else None,
                streams, [grouped[s][0].stream_type for s in streams],
                [grouped[s][0].version for s in streams], [grouped[s][-1].version for s in streams],
                list(request.guards), list(request.guards.values()),
                [r.scope for r in request.releases], [r.key for r in request.releases],
                [c.scope for c in request.claims], [c.key for c in request.claims],
                [c.owner for c in request.claims], [c.replace for c in request.claims],
                [o for o, _ in vacant], [s for _, s in vacant],
                [e.stream_id for e in events], [e.stream_type for e in events],
                [e.version for e in events], [e.event_id for e in events],
                [e.event_type for e in events], [e.schema_version for e in events],
                [e.payload for e in sealed],
                LOG_LOCK, NOTIFY_CHANNEL, append_keys.signing_key_id, macs, *personal,
            )
        except asyncpg.DeadlockDetectedError as exc:
            raise VersionConflict("concurrent commands touched the same streams") from exc
        except asyncpg.PostgresError as exc:
            typed = _typed(exc, request)
            if typed is None:
                raise
            raise typed from None
        if row["out_replayed"]:
            return AppendResult(row["out_position"], row["out_result"], True,
                                row["out_fingerprint"])
        if erased:  # the erased subjects' keys may still be unwrapped in this process
            if self._personal is not None:
                self._personal.forget()
            forget_installed()
        return AppendResult(last_position=row["out_position"], result=dict(request.result))

    async def read_stream(self, stream_id: UUID, after_version: int = 0) -> list[RecordedEvent]:
        rows = await self.pool.fetch(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND version > $2 ORDER BY version",
            stream_id, after_version,
        )
        return [row_to_event(r, self._personal) for r in rows]

    async def read_log(
        self, after_position: int, limit: int, event_types: Sequence[str] | None = None
    ) -> list[RecordedEvent]:
        if event_types is None:
            rows = await self.pool.fetch(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                after_position, limit,
            )
        else:
            rows = await self.pool.fetch(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE position > $1"
                " AND event_type = ANY($3::text[]) ORDER BY position LIMIT $2",
                after_position, limit, list(event_types),
            )
        return [row_to_event(r, self._personal) for r in rows]

    async def head(self) -> int:
        async with self.pool.acquire() as conn:
            return await self._head(conn)

    @staticmethod
    async def _head(conn: asyncpg.Connection) -> int:
        value: int | None = await conn.fetchval("SELECT max(position) FROM events")
        return value or 0

    async def recall(self, actor: str, key: str) -> AppendResult | None:
        async with self.pool.acquire() as conn:
            return await self._recall(conn, actor, key)

    @staticmethod
    async def _recall(conn: asyncpg.Connection, actor: str, key: str) -> AppendResult | None:
        row = await conn.fetchrow(
            "SELECT fingerprint, last_position, result FROM idempotency_keys"
            " WHERE actor = $1 AND key = $2",
            actor, key,
        )
        if row is None:
            return None
        return AppendResult(row["last_position"], row["result"], True, row["fingerprint"])

    async def next_serial(self, name: str) -> int:
        if name != "transfer_letter":
            raise ValueError(f"no serial sequence {name!r}")
        value: int = await self.pool.fetchval("SELECT nextval('transfer_letter_serial')")
        return value
