"""Tamper evidence in PostgreSQL: leaves, tree nodes, checkpoints and proofs.

``CANONICAL_SQL`` is the SQL twin of ``eventstore.integrity.encoding.canonical_text`` (a test
checks that both agree byte for byte on awkward events): PostgreSQL computes leaf
hashes next to the data, which is what lets the hasher and ``grassroots verify`` run at
hundreds of thousands of events per second. Every function is schema-qualified and the
expression is inline in our queries, not a stored function a DBA could quietly replace;
``grassroots verify --engine python`` recomputes everything outside the database.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore.integrity import merkle
from eventstore.integrity.authenticators import AppendKeys, Refusal
from eventstore.integrity.encoding import (
    Checkpoint,
    sign_checkpoint,
)

CANONICAL_SQL = (
    "'[1, ' || e.position || ', \"' || e.stream_id || '\", '"
    " || pg_catalog.to_json(e.stream_type)::text || ', ' || e.version || ', \"' || e.event_id"
    " || '\", ' || pg_catalog.to_json(e.event_type)::text || ', ' || e.schema_version"
    " || ', ' || e.payload::text || ', \"'"
    " || pg_catalog.to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    " || '\", ' || pg_catalog.to_json(e.actor)::text || ', '"
    " || pg_catalog.to_jsonb(e.actor_roles)::text"
    " || ', ' || coalesce('\"' || e.correlation_id || '\"', 'null')"
    " || ', ' || coalesce('\"' || e.causation_id || '\"', 'null')"
    " || ', ' || coalesce(pg_catalog.to_json(e.command_id)::text, 'null')"
    " || ', ' || coalesce(pg_catalog.to_json(e.reason)::text, 'null') || ']'"
)
"""The canonical encoding of the row aliased ``e`` of ``events``, as text."""

LEAF_SQL = f"pg_catalog.sha256('\\x00'::bytea || pg_catalog.convert_to({CANONICAL_SQL}, 'UTF8'))"
"""The RFC 6962 leaf hash of the row aliased ``e``."""

APPEND_SQL = (
    "'[\"grassroots-append\", 1, \"' || e.stream_id || '\", '"
    " || pg_catalog.to_json(e.stream_type)::text || ', ' || e.version || ', \"' || e.event_id"
    " || '\", ' || pg_catalog.to_json(e.event_type)::text || ', ' || e.schema_version"
    " || ', ' || e.payload::text"
    " || ', ' || pg_catalog.to_json(e.actor)::text || ', '"
    " || pg_catalog.to_jsonb(e.actor_roles)::text"
    " || ', ' || coalesce('\"' || e.correlation_id || '\"', 'null')"
    " || ', ' || coalesce('\"' || e.causation_id || '\"', 'null')"
    " || ', ' || coalesce(pg_catalog.to_json(e.command_id)::text, 'null')"
    " || ', ' || coalesce(pg_catalog.to_json(e.reason)::text, 'null') || ']'"
)
"""The append encoding (``encoding.append_event_text``) of the row aliased ``e``, as text."""

APPEND_DIGEST_SQL = f"pg_catalog.sha256(pg_catalog.convert_to({APPEND_SQL}, 'UTF8'))"
"""SHA-256 of the row's append encoding: what its authenticator (``append_mac``) is made
over, with a key PostgreSQL does not have (``eventstore.integrity.authenticators``)."""

_CHECKPOINT_COLUMNS = (
    "id, tree_size, root_hash, last_position, signed_at, key_id, public_key,"
    " signature, origin, requested_by"
)


def checkpoint_from_row(row: asyncpg.Record) -> Checkpoint:
    return Checkpoint(
        tree_size=row["tree_size"],
        root_hash=bytes(row["root_hash"]),
        last_position=row["last_position"],
        signed_at=row["signed_at"],
        key_id=row["key_id"],
        public_key=bytes(row["public_key"]),
        signature=bytes(row["signature"]),
        id=row["id"],
        origin=row["origin"],
        requested_by=row["requested_by"],
    )


async def tree_state(conn: asyncpg.Connection, *, lock: bool = False) -> tuple[int, int]:
    """(last position hashed, tree size); ``lock`` waits for a hashing page in flight."""
    row = await conn.fetchrow(
        "SELECT position, tree_size FROM hasher_tracking" + (" FOR UPDATE" if lock else "")
    )
    return (row["position"], row["tree_size"]) if row else (0, 0)


class MissingNodes(LookupError):
    """Stored hashes (leaves or tree nodes) a proof needs are not there: they were deleted."""

    def __init__(self, keys: list[merkle.NodeKey]) -> None:
        self.keys = keys
        super().__init__(f"tree nodes {keys[:3]} are not stored (the tree is incomplete)")


async def stored_nodes(
    conn: asyncpg.Connection, keys: list[merkle.NodeKey]
) -> dict[merkle.NodeKey, bytes]:
    """The stored hashes among ``keys`` (level 0: leaves), in one query; absent ones left out."""
    if not keys:
        return {}
    rows = await conn.fetch(
        "SELECT k.level, k.idx, coalesce(l.hash, n.hash) AS hash"
        " FROM unnest($1::int[], $2::bigint[]) AS k(level, idx)"
        " LEFT JOIN event_leaves l ON k.level = 0 AND l.leaf_index = k.idx"
        " LEFT JOIN merkle_nodes n ON k.level > 0 AND n.level = k.level AND n.idx = k.idx",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    return {(r["level"], r["idx"]): bytes(r["hash"]) for r in rows if r["hash"] is not None}


async def fetch_nodes(
    conn: asyncpg.Connection, keys: list[merkle.NodeKey]
) -> dict[merkle.NodeKey, bytes]:
    """Stored hashes of complete subtrees (level 0: leaves); ``MissingNodes`` if any is absent."""
    found = await stored_nodes(conn, keys)
    missing = [k for k in keys if k not in found]
    if missing:
        raise MissingNodes(missing)
    return found


async def load_range(conn: asyncpg.Connection, size: int) -> merkle.CompactRange:
    keys = merkle.range_keys(0, size)
    nodes = await fetch_nodes(conn, keys)
    return merkle.CompactRange.load(size, nodes.__getitem__)


async def root_at(conn: asyncpg.Connection, size: int) -> bytes:
    return (await load_range(conn, size)).root()


_AUTHENTICATED_COLUMNS = (
    f"e.position, e.event_id, e.event_type, {APPEND_DIGEST_SQL} AS digest,"
    " e.append_key_id, e.append_mac,"
    " (SELECT legacy_position FROM append_authentication) AS legacy_position"
)


def _refusal(row: asyncpg.Record, keys: AppendKeys) -> Refusal | None:
    if row["append_mac"] is None and row["position"] <= (row["legacy_position"] or 0):
        return None  # a legacy event: in the log before authenticators began (migration 0012)
    problem = keys.problem(
        bytes(row["digest"]),
        row["append_key_id"],
        None if row["append_mac"] is None else bytes(row["append_mac"]),
    )
    if problem is None:
        return None
    return Refusal(row["position"], str(row["event_id"]), row["event_type"], problem)


async def hash_page(
    conn: asyncpg.Connection,
    tree: merkle.CompactRange,
    after: int,
    head: int,
    limit: int,
    keys: AppendKeys,
) -> tuple[int, int, Refusal | None]:
    """Append leaves for events in (after, head], at most ``limit``, each only if its append
    authenticator verifies with ``keys``; return (count, position, the refused row or None).

    Sealing stops at the first row refused (the log is never sealed with a hole): the rows
    before it are sealed and ``position`` is the last of them. Runs inside the caller's
    transaction, which also moves ``hasher_tracking``; ``tree`` must hold the peaks of the
    stored tree and is advanced in place.
    """
    rows = await conn.fetch(
        f"SELECT {_AUTHENTICATED_COLUMNS}, {LEAF_SQL} AS hash FROM events e"
        " WHERE e.position > $1 AND e.position <= $2 ORDER BY e.position LIMIT $3",
        after,
        head,
        limit,
    )
    refused = None
    for i, row in enumerate(rows):
        refused = _refusal(row, keys)
        if refused is not None:
            rows, limit = rows[:i], i  # seal what precedes it; position stops before it
            break
    if not rows:
        return 0, (after if refused is not None else head), refused
    first = tree.size
    levels: list[int] = []
    idxs: list[int] = []
    hashes: list[bytes] = []
    leaf_hashes = [bytes(r["hash"]) for r in rows]
    for leaf in leaf_hashes:
        for level, idx, h in tree.append(leaf):
            levels.append(level)
            idxs.append(idx)
            hashes.append(h)
    await conn.execute(
        "INSERT INTO event_leaves (leaf_index, position, hash)"
        " SELECT $1 + n - 1, p, h"
        " FROM unnest($2::bigint[], $3::bytea[]) WITH ORDINALITY AS t(p, h, n)",
        first,
        [r["position"] for r in rows],
        leaf_hashes,
    )
    if levels:
        await conn.execute(
            "INSERT INTO merkle_nodes (level, idx, hash)"
            " SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])",
            levels,
            idxs,
            hashes,
        )
    position = rows[-1]["position"] if len(rows) == limit else head
    await conn.execute(
        "UPDATE hasher_tracking SET position = $1, tree_size = $2, updated_at = now()",
        position,
        tree.size,
    )
    return len(rows), position, refused


async def first_refused(
    conn: asyncpg.Connection | asyncpg.Pool, keys: AppendKeys
) -> Refusal | None:
    """The row the hasher stops at, if it refuses one: the first one it has not sealed,
    checked with ``keys`` (any process can ask; one indexed row, no hasher state)."""
    row = await conn.fetchrow(
        f"SELECT {_AUTHENTICATED_COLUMNS} FROM events e"
        " WHERE e.position > (SELECT position FROM hasher_tracking)"
        " ORDER BY e.position LIMIT 1"
    )
    return None if row is None else _refusal(row, keys)


@dataclasses.dataclass(frozen=True)
class LegacyBoundary:
    """The log as it was when append authenticators began (migrations/0012): the events
    up to ``position`` carry none (``leaves`` of them; ``unsealed`` were not hashed yet at
    the upgrade), and are reported as unauthenticated legacy events."""

    position: int
    leaves: int
    unsealed: int = 0


async def legacy_boundary(conn: asyncpg.Connection | asyncpg.Pool) -> LegacyBoundary:
    row = await conn.fetchrow(
        "SELECT legacy_position, legacy_leaves, unsealed_at_upgrade FROM append_authentication")
    return LegacyBoundary(0, 0) if row is None else LegacyBoundary(*row)


async def record_checkpoint(
    conn: asyncpg.Connection,
    key: Ed25519PrivateKey,
    now: datetime,
    *,
    origin: str = "on_demand",
    requested_by: str | None = None,
) -> Checkpoint:
    """Sign the tree as hashed so far and store the checkpoint.

    Locks ``hasher_tracking`` for the transaction, so it signs a tree no page is
    half-way through extending.
    """
    async with conn.transaction():
        _, size = await tree_state(conn, lock=True)
        root = await root_at(conn, size)
        last = (
            await conn.fetchval("SELECT position FROM event_leaves WHERE leaf_index = $1", size - 1)
            if size
            else 0
        )
        cp = sign_checkpoint(
            key, size, root, last or 0, now, origin=origin, requested_by=requested_by
        )
        cid = await conn.fetchval(
            "INSERT INTO checkpoints (tree_size, root_hash, last_position, signed_at, key_id,"
            " public_key, signature, origin, requested_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            cp.tree_size,
            cp.root_hash,
            cp.last_position,
            cp.signed_at,
            cp.key_id,
            cp.public_key,
            cp.signature,
            origin,
            requested_by,
        )
    return dataclasses.replace(cp, id=cid)


async def latest_checkpoint(conn: asyncpg.Connection | asyncpg.Pool) -> Checkpoint | None:
    row = await conn.fetchrow(
        f"SELECT {_CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY id DESC LIMIT 1"
    )
    return None if row is None else checkpoint_from_row(row)


async def checkpoint_by_id(conn: asyncpg.Connection | asyncpg.Pool, cid: int) -> Checkpoint | None:
    row = await conn.fetchrow(f"SELECT {_CHECKPOINT_COLUMNS} FROM checkpoints WHERE id = $1", cid)
    return None if row is None else checkpoint_from_row(row)


async def checkpoints(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    before_id: int | None = None,
    limit: int | None = None,
) -> list[Checkpoint]:
    """Checkpoints, newest first."""
    rows = await conn.fetch(
        f"SELECT {_CHECKPOINT_COLUMNS} FROM checkpoints WHERE $1::bigint IS NULL OR id < $1"
        " ORDER BY id DESC LIMIT $2",
        before_id,
        limit,
    )
    return [checkpoint_from_row(r) for r in rows]


async def inclusion_proofs(
    conn: asyncpg.Connection, indexes: list[int], size: int
) -> dict[int, list[bytes]]:
    """Audit paths of several leaves in a tree of ``size``, from one node query."""
    keys = {i: merkle.inclusion_keys(i, size) for i in indexes}
    wanted = sorted({k for groups in keys.values() for g in groups for k in g})
    nodes = await fetch_nodes(conn, wanted)
    return {i: merkle.resolve(groups, nodes.__getitem__) for i, groups in keys.items()}


async def available_inclusion_proofs(
    conn: asyncpg.Connection, indexes: list[int], size: int
) -> tuple[dict[int, list[bytes]], dict[int, list[merkle.NodeKey]]]:
    """Like ``inclusion_proofs``, but a leaf whose path needs an absent node is not an error:
    returns (proofs of the leaves that have one, leaf index -> the stored keys it lacks)."""
    keys = {i: merkle.inclusion_keys(i, size) for i in indexes}
    wanted = sorted({k for groups in keys.values() for g in groups for k in g})
    nodes = await stored_nodes(conn, wanted)
    proofs: dict[int, list[bytes]] = {}
    lacking: dict[int, list[merkle.NodeKey]] = {}
    for i, groups in keys.items():
        absent = [k for g in groups for k in g if k not in nodes]
        if absent:
            lacking[i] = absent
        else:
            proofs[i] = merkle.resolve(groups, nodes.__getitem__)
    return proofs, lacking


async def consistency_proof(conn: asyncpg.Connection, old: int, new: int) -> list[bytes]:
    groups = merkle.consistency_keys(old, new)
    nodes = await fetch_nodes(conn, sorted({k for g in groups for k in g}))
    return merkle.resolve(groups, nodes.__getitem__)


async def leaves_at(
    conn: asyncpg.Connection | asyncpg.Pool, positions: list[int]
) -> dict[int, tuple[int, bytes]]:
    """position -> (leaf index, stored leaf hash) for the hashed ones among ``positions``."""
    rows = await conn.fetch(
        "SELECT position, leaf_index, hash FROM event_leaves WHERE position = ANY($1::bigint[])",
        positions,
    )
    return {r["position"]: (r["leaf_index"], bytes(r["hash"])) for r in rows}


async def canonical_rows(
    conn: asyncpg.Connection | asyncpg.Pool, where: str, *args: Any, limit: int | None = None
) -> list[asyncpg.Record]:
    """Events (every column, payload as jsonb text, the append authenticator) plus their
    canonical text, by ``where``."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT e.position, e.stream_id, e.stream_type, e.version, e.event_id, e.event_type,"
        " e.schema_version, e.payload::text AS payload_text, e.recorded_at, e.actor,"
        " e.actor_roles, e.correlation_id, e.causation_id, e.command_id, e.reason,"
        " e.append_key_id, e.append_mac,"
        f" {CANONICAL_SQL} AS canonical FROM events e WHERE {where} ORDER BY e.position"
        + (f" LIMIT {int(limit)}" if limit is not None else ""),
        *args,
    )
    return rows
