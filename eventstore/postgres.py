"""The PostgreSQL event store.

Positions: the identity value is drawn while the transaction holds an advisory
transaction lock, and PostgreSQL releases that lock only after the commit is visible.
So positions increase in commit-visibility order, and a reader that has seen position P
can never later find a smaller position committed: reading ``position > P`` never
skips. Only the final insert and commit are serialised; stream version checks, claims
and guards run before the lock, concurrently, under row locks of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from domain.errors import ClaimConflict, OwnerNotVacant, VersionConflict
from domain.ports import Append, AppendResult, NewEvent, RecordedEvent

LOG_LOCK = 0x6C6F67  # pg_advisory_xact_lock key that orders appends ("log")
NOTIFY_CHANNEL = "grassroots_events"

_COLUMNS = (
    "position, stream_id, stream_type, version, event_id, event_type, schema_version, payload,"
    " recorded_at, actor, actor_roles, correlation_id, causation_id, command_id, reason"
)

_INSERT = f"""
INSERT INTO events (stream_id, stream_type, version, event_id, event_type, schema_version,
                    payload, actor, actor_roles, correlation_id, causation_id, command_id, reason)
SELECT s, st, v, e, et, sv, p, $8, $9, $10, $11, $12, $13
FROM unnest($1::uuid[], $2::text[], $3::int[], $4::uuid[], $5::text[], $6::int[], $7::jsonb[])
     WITH ORDINALITY AS t(s, st, v, e, et, sv, p, n)
ORDER BY n
RETURNING position
"""


def row_to_event(row: asyncpg.Record) -> RecordedEvent:
    return RecordedEvent(
        position=row["position"], stream_id=row["stream_id"], stream_type=row["stream_type"],
        version=row["version"], event_id=row["event_id"], event_type=row["event_type"],
        schema_version=row["schema_version"], payload=row["payload"],
        recorded_at=row["recorded_at"], actor=row["actor"],
        actor_roles=tuple(row["actor_roles"]), correlation_id=row["correlation_id"],
        causation_id=row["causation_id"], command_id=row["command_id"], reason=row["reason"],
    )


def _by_stream(events: Sequence[NewEvent]) -> dict[UUID, list[NewEvent]]:
    grouped: dict[UUID, list[NewEvent]] = {}
    for e in events:
        grouped.setdefault(e.stream_id, []).append(e)
    for stream_id, items in grouped.items():
        versions = [e.version for e in items]
        if versions != list(range(versions[0], versions[0] + len(versions))):
            raise ValueError(f"stream {stream_id}: versions {versions} are not consecutive")
    return grouped


class PostgresEventStore:
    """Appends and reads events in PostgreSQL through an asyncpg pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def append(self, request: Append) -> AppendResult:
        grouped = _by_stream(request.events)
        async with self.pool.acquire() as conn:
            try:
                async with conn.transaction():
                    return await self._append(conn, request, grouped)
            except _Replay as replay:
                return replay.result
            except asyncpg.DeadlockDetectedError as exc:
                raise VersionConflict("concurrent commands touched the same streams") from exc

    async def _append(
        self, conn: asyncpg.Connection, req: Append, grouped: dict[UUID, list[NewEvent]]
    ) -> AppendResult:
        meta = req.metadata
        idem = req.idempotency
        if idem is not None:
            # Taking the key first makes a concurrent repeat wait for this transaction
            # and then find the key taken.
            taken = await conn.fetchval(
                "INSERT INTO idempotency_keys (actor, key, fingerprint, last_position, result)"
                " VALUES ($1, $2, $3, 0, '{}') ON CONFLICT DO NOTHING RETURNING true",
                meta.actor, idem.key, idem.fingerprint,
            )
            if not taken:
                earlier = await self._recall(conn, meta.actor, idem.key)
                assert earlier is not None
                raise _Replay(earlier)

        for stream_id in sorted(grouped):
            items = grouped[stream_id]
            first, last = items[0].version, items[-1].version
            if first == 1:
                ok = await conn.fetchval(
                    "INSERT INTO streams (stream_id, stream_type, version) VALUES ($1, $2, $3)"
                    " ON CONFLICT DO NOTHING RETURNING true",
                    stream_id, items[0].stream_type, last,
                )
            else:
                ok = await conn.fetchval(
                    "UPDATE streams SET version = $3 WHERE stream_id = $1 AND version = $2"
                    " RETURNING true",
                    stream_id, first - 1, last,
                )
            if not ok:
                raise VersionConflict(f"stream {stream_id} is no longer at version {first - 1}")

        if req.guards:
            rows = await conn.fetch(
                "SELECT stream_id, version FROM streams WHERE stream_id = ANY($1::uuid[])"
                " ORDER BY stream_id FOR SHARE",
                list(req.guards),
            )
            found = {r["stream_id"]: r["version"] for r in rows}
            for stream_id, version in req.guards.items():
                if found.get(stream_id) != version:
                    raise VersionConflict(f"stream {stream_id} changed while the command ran")

        for release in req.releases:
            await conn.execute(
                "DELETE FROM claims WHERE scope = $1 AND key = $2", release.scope, release.key
            )
        for claim in req.claims:
            if claim.replace:
                await conn.execute(
                    "INSERT INTO claims (scope, key, owner) VALUES ($1, $2, $3)"
                    " ON CONFLICT (scope, key) DO UPDATE SET owner = excluded.owner,"
                    " claimed_at = now()",
                    claim.scope, claim.key, claim.owner,
                )
                continue
            # DO UPDATE (a no-op) rather than DO NOTHING: it waits for a concurrent
            # claimer, then returns the committed owner, which a plain SELECT in the
            # same statement's snapshot could not see.
            owner = await conn.fetchval(
                "INSERT INTO claims (scope, key, owner) VALUES ($1, $2, $3)"
                " ON CONFLICT (scope, key) DO UPDATE SET owner = claims.owner RETURNING owner",
                claim.scope, claim.key, claim.owner,
            )
            if owner != claim.owner:
                raise ClaimConflict(claim.scope, claim.key)
        for owner_id, scopes in req.vacant:
            if await conn.fetchval(
                "SELECT true FROM claims WHERE owner = $1 AND scope = ANY($2::text[]) LIMIT 1",
                owner_id, list(scopes),
            ):
                raise OwnerNotVacant(f"{owner_id} still holds {', '.join(scopes)} claims")

        if req.events:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", LOG_LOCK)
            positions = await conn.fetch(
                _INSERT,
                [e.stream_id for e in req.events], [e.stream_type for e in req.events],
                [e.version for e in req.events], [e.event_id for e in req.events],
                [e.event_type for e in req.events], [e.schema_version for e in req.events],
                [e.payload for e in req.events],
                meta.actor, list(meta.actor_roles), meta.correlation_id, meta.causation_id,
                meta.command_id, meta.reason,
            )
            last = positions[-1]["position"]
            await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, str(last))
        else:
            last = await self._head(conn)
        if idem is not None:
            await conn.execute(
                "UPDATE idempotency_keys SET last_position = $3, result = $4"
                " WHERE actor = $1 AND key = $2",
                meta.actor, idem.key, last, req.result,
            )
        return AppendResult(last_position=last, result=dict(req.result))

    async def read_stream(self, stream_id: UUID, after_version: int = 0) -> list[RecordedEvent]:
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 AND version > $2 ORDER BY version",
            stream_id, after_version,
        )
        return [row_to_event(r) for r in rows]

    async def read_log(
        self, after_position: int, limit: int, event_types: Sequence[str] | None = None
    ) -> list[RecordedEvent]:
        if event_types is None:
            rows = await self.pool.fetch(
                f"SELECT {_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                after_position, limit,
            )
        else:
            rows = await self.pool.fetch(
                f"SELECT {_COLUMNS} FROM events WHERE position > $1"
                " AND event_type = ANY($3::text[]) ORDER BY position LIMIT $2",
                after_position, limit, list(event_types),
            )
        return [row_to_event(r) for r in rows]

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


class _Replay(Exception):  # noqa: N818 - control flow, never escapes this module
    def __init__(self, result: AppendResult) -> None:
        self.result = result

