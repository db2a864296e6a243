"""Tamper evidence in GraphQL: checkpoints, inclusion and consistency proofs, the public key.

An auditor's tool checks one event without the whole log: ``eventProof(position)`` gives
the event's canonical text (hash it: ``SHA-256(0x00 || utf8)``), its leaf index and audit
path, and the signed checkpoint; RFC 9162's inclusion check must arrive at the
checkpoint's ``rootHash``, and the checkpoint's ``signedText`` must verify with the
district's Ed25519 public key (``signingKey``, better obtained out of band too).

Who may read: district admins and auditors. Checkpoints prove the whole log and show
nothing about any event, so every reader sees all of them. An event proof carries the
event's full stored content exactly (a masked record would prove nothing), in which ID
numbers and phones are sealed ciphertext (``eventstore.personal_keys``): an auditor
proves events without seeing personal data. A reader with a scope gets proofs only for
events of streams inside it; whole-system readers get any. Others get null and empty lists, as elsewhere.
"""

from __future__ import annotations

import base64
import enum
from datetime import datetime
from uuid import UUID

import strawberry

from api import views
from api.append_keys import append_keys
from api.graphql.core import errors as e
from api.graphql.core.common import result_union
from api.graphql.core.context import Info
from api.graphql.core.relay import Connection, Edge, PageInfo
from api.signing import signing_key
from api.witnesses import witness_names
from domain.shared.errors import NotAuthorized
from domain.shared.permissions import ANYWHERE, Actor, Role, may_read
from eventstore.integrity import encoding as integ
from eventstore.integrity import store as idb
from eventstore.integrity.hasher import checkpoint_now
from eventstore.integrity.merkle import EMPTY_ROOT
from eventstore.integrity.witness_publisher import witness_status

_READERS = frozenset({Role.DISTRICT_ADMIN, Role.AUDITOR})
_HASHER_WAIT = 10.0


def _may_read(actor: Actor) -> bool:
    # Checkpoints belong to no organization: the roles decide (one mutation, which only
    # signs what is already there, takes the same rule).
    return may_read(actor, ANYWHERE, _READERS)


@strawberry.enum(description="Why a checkpoint was recorded.")
class CheckpointOrigin(enum.Enum):
    PERIODIC = "periodic"
    ON_DEMAND = "on_demand"


@strawberry.type(
    description="A signed tree head: the first `treeSize` events of the log, in "
    "order, hash to `rootHash` (RFC 6962 Merkle tree, SHA-256)."
)
class Checkpoint:
    id: int = strawberry.field(description="Checkpoint number, increasing.")
    tree_size: int = strawberry.field(description="How many events the tree covers.")
    root_hash: str = strawberry.field(description="The tree's root, hex.")
    last_position: int = strawberry.field(description="Log position of the last event covered.")
    signed_at: datetime = strawberry.field(description="When it was signed.")
    key_id: str = strawberry.field(description="First 8 bytes of SHA-256 of the public key, hex.")
    public_key: str = strawberry.field(
        description="The signer's raw Ed25519 public key, base64 "
        "(compare with `signingKey`; trust a copy from elsewhere)."
    )
    signature: str = strawberry.field(description="Ed25519 signature of `signedText`, base64.")
    signed_text: str = strawberry.field(description="The exact UTF-8 text that was signed.")
    origin: CheckpointOrigin = strawberry.field(description="Periodic, or on demand.")
    requested_by: str | None = strawberry.field(description="Who asked for it, if on demand.")


def checkpoint_type(cp: integ.Checkpoint) -> Checkpoint:
    return Checkpoint(
        id=cp.id or 0,
        tree_size=cp.tree_size,
        root_hash=cp.root_hash.hex(),
        last_position=cp.last_position,
        signed_at=cp.signed_at,
        key_id=cp.key_id,
        public_key=base64.b64encode(cp.public_key).decode(),
        signature=base64.b64encode(cp.signature).decode(),
        signed_text=cp.text,
        origin=CheckpointOrigin(cp.origin),
        requested_by=cp.requested_by,
    )


@strawberry.type(description="Proof that one event is in the log a checkpoint signs.")
class EventProof:
    position: int = strawberry.field(description="The event's log position.")
    stream_id: strawberry.ID = strawberry.field(description="The event's stream.")
    leaf_index: int = strawberry.field(description="Its index among the tree's leaves (0-based).")
    canonical: str = strawberry.field(
        description="The event's canonical encoding (every stored "
        "column); its leaf is SHA-256(0x00 || UTF-8 of this)."
    )
    leaf_hash: str = strawberry.field(description="The leaf hash the log recorded, hex.")
    audit_path: list[str] = strawberry.field(
        description="RFC 6962 audit path, hex, from the leaf's sibling upwards."
    )
    checkpoint: Checkpoint = strawberry.field(description="The checkpoint the path proves into.")


@strawberry.type(description="Proof that a later checkpoint's tree extends an earlier one's.")
class ConsistencyProof:
    from_size: int = strawberry.field(description="The earlier tree size.")
    to_size: int = strawberry.field(description="The later tree size.")
    from_root: str = strawberry.field(description="The earlier tree's root, hex.")
    to_root: str = strawberry.field(description="The later tree's root, hex.")
    path: list[str] = strawberry.field(description="RFC 6962 consistency proof, hex.")


@strawberry.type(
    description="A witness outside the database that keeps a copy of every signed checkpoint "
    "(`GRASSROOTS_WITNESSES`), and how far behind it is."
)
class WitnessStatus:
    name: str = strawberry.field(
        description="The witness (`dir:/path`, a NATS stream, a URL), without credentials."
    )
    checkpoint_id: int = strawberry.field(
        description="Every checkpoint up to this id was acknowledged by the witness (0: none yet)."
    )
    lag: int = strawberry.field(
        description="Checkpoints recorded but not yet acknowledged by the witness: until then "
        "they live only in this database."
    )
    oldest_unpublished_at: datetime | None = strawberry.field(
        description="When the oldest of those was signed (null when `lag` is 0)."
    )
    published_at: datetime | None = strawberry.field(
        description="When the witness last acknowledged one."
    )
    failures: int = strawberry.field(
        description="Consecutive failed attempts since then; retried with backoff."
    )
    last_error: str | None = strawberry.field(description="Why the last attempt failed, if it did.")


@strawberry.type(
    description="An event the hasher refuses to seal: it carries no valid append "
    "authenticator, so the application did not append it as it stands (it was written or "
    "changed with SQL, or its authenticator was copied from another event). Sealing stops "
    "before it, since the tree never skips an event, until it is removed."
)
class RefusedEvent:
    position: int = strawberry.field(description="The event's log position.")
    event_id: strawberry.ID = strawberry.field(description="The event's id, as stored.")
    event_type: str = strawberry.field(description="The event's type, as stored.")
    reason: str = strawberry.field(description="Why its authenticator does not verify.")


@strawberry.type(description="How far the hasher has come.")
class IntegrityStatus:
    hashed_position: int = strawberry.field(description="Last log position hashed.")
    tree_size: int = strawberry.field(description="Events hashed so far.")
    log_position: int = strawberry.field(description="The log's last position.")
    latest_checkpoint: Checkpoint | None = strawberry.field(description="The newest checkpoint.")
    refused_event: RefusedEvent | None = strawberry.field(
        description="The event the hasher refuses to seal and stops before, if any "
        "(`grassroots verify` names it too; `/readyz` answers 503 meanwhile)."
    )
    legacy_events: int = strawberry.field(
        description="Events appended before append authenticators existed (migration 0012; "
        "those not yet sealed at the upgrade were sealed after it): proven by the checkpoints "
        "like every sealed event, but not authenticated."
    )
    witnesses: list[WitnessStatus] = strawberry.field(
        description="The configured witnesses and their lag (empty: checkpoints live only in "
        "this database)."
    )


@strawberry.type(description="The Ed25519 key that signs checkpoints (public half).")
class SigningKey:
    algorithm: str = strawberry.field(description="Always Ed25519.")
    key_id: str = strawberry.field(description="First 8 bytes of SHA-256 of the raw key, hex.")
    public_key: str = strawberry.field(description="Raw 32-byte public key, base64.")
    pem: str = strawberry.field(description="The same key as PEM (SubjectPublicKeyInfo).")


@strawberry.type(description="The checkpoint just recorded.")
class CheckpointPayload:
    checkpoint: Checkpoint = strawberry.field(description="The new signed checkpoint.")
    position: int = strawberry.field(description="Log position of the last event it covers.")


@strawberry.input(description="Sign the log as hashed now.")
class RecordCheckpointInput:
    wait_for_head: bool = strawberry.field(
        default=True,
        description="First let the hasher reach every event committed before the "
        "request (bounded wait), so the checkpoint covers them.",
    )


RecordCheckpointResult = result_union("RecordCheckpointResult", CheckpointPayload)


async def _stream_visible(info: Info, stream_id: UUID, stream_type: str) -> bool:
    if info.context.actor.scope is None:
        return True
    # Each area looks up its own streams, scoped like a query (the Relay node lookup).
    return await info.schema.nodes.load(info, stream_type, stream_id) is not None


@strawberry.type(description="Tamper evidence: checkpoints and proofs (district admins, auditors).")
class IntegrityQueries:
    @strawberry.field(description="Signed checkpoints, newest first.")
    async def checkpoints(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Checkpoint]:
        if not _may_read(info.context.actor):
            return Connection(edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None))
        size = info.context.page_size(first)
        cursor = views.decode_cursor(after, 1)
        found = await idb.checkpoints(
            info.context.pool, before_id=int(cursor[0]) if cursor else None, limit=size + 1
        )
        edges = [
            Edge(node=checkpoint_type(c), cursor=views.encode_cursor(c.id)) for c in found[:size]
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(found) > size, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @strawberry.field(description="The newest checkpoint, if any.")
    async def latest_checkpoint(self, info: Info) -> Checkpoint | None:
        if not _may_read(info.context.actor):
            return None
        cp = await idb.latest_checkpoint(info.context.pool)
        return checkpoint_type(cp) if cp else None

    @strawberry.field(
        description="Inclusion proof of the event at `position` against the latest "
        "checkpoint (or `checkpointId`); null if no such event, if no checkpoint "
        "covers it yet, or if its stream lies outside your scope."
    )
    async def event_proof(
        self, info: Info, position: int, checkpoint_id: int | None = None
    ) -> EventProof | None:
        if not _may_read(info.context.actor):
            return None
        pool = info.context.pool
        cp = (
            await idb.checkpoint_by_id(pool, checkpoint_id)
            if checkpoint_id is not None
            else await idb.latest_checkpoint(pool)
        )
        rows = await idb.canonical_rows(pool, "e.position = $1", position)
        if cp is None or not rows:
            return None
        row = rows[0]
        leaf = (await idb.leaves_at(pool, [position])).get(position)
        if leaf is None or leaf[0] >= cp.tree_size:
            return None
        if not await _stream_visible(info, row["stream_id"], row["stream_type"]):
            return None
        async with pool.acquire() as conn:
            path = (await idb.inclusion_proofs(conn, [leaf[0]], cp.tree_size))[leaf[0]]
        return EventProof(
            position=position,
            stream_id=strawberry.ID(str(row["stream_id"])),
            leaf_index=leaf[0],
            canonical=row["canonical"],
            leaf_hash=leaf[1].hex(),
            audit_path=[h.hex() for h in path],
            checkpoint=checkpoint_type(cp),
        )

    @strawberry.field(
        description="Consistency proof from an earlier tree size to a later one "
        "(default: the latest checkpoint's); null if a size is out of range."
    )
    async def consistency_proof(
        self, info: Info, from_size: int, to_size: int | None = None
    ) -> ConsistencyProof | None:
        if not _may_read(info.context.actor):
            return None
        pool = info.context.pool
        if to_size is None:
            latest = await idb.latest_checkpoint(pool)
            to_size = latest.tree_size if latest else 0
        async with pool.acquire() as conn:
            _, hashed = await idb.tree_state(conn)
            if not 0 <= from_size <= to_size <= hashed:
                return None
            path = await idb.consistency_proof(conn, from_size, to_size)
            old = await idb.root_at(conn, from_size) if from_size else EMPTY_ROOT
            new = await idb.root_at(conn, to_size) if to_size else EMPTY_ROOT
        return ConsistencyProof(
            from_size=from_size,
            to_size=to_size,
            from_root=old.hex(),
            to_root=new.hex(),
            path=[h.hex() for h in path],
        )

    @strawberry.field(description="The hasher's progress and the newest checkpoint.")
    async def integrity_status(self, info: Info) -> IntegrityStatus | None:
        if not _may_read(info.context.actor):
            return None
        pool = info.context.pool
        async with pool.acquire() as conn:
            position, size = await idb.tree_state(conn)
            head = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
            cp = await idb.latest_checkpoint(conn)
            refused = await idb.first_refused(conn, append_keys(info.context.settings))
            legacy = await idb.legacy_boundary(conn)
            witnesses = await witness_status(conn, witness_names(info.context.settings))
        return IntegrityStatus(
            hashed_position=position,
            tree_size=size,
            log_position=head,
            latest_checkpoint=checkpoint_type(cp) if cp else None,
            refused_event=None
            if refused is None
            else RefusedEvent(
                position=refused.position,
                event_id=strawberry.ID(refused.event_id),
                event_type=refused.event_type,
                reason=refused.reason,
            ),
            legacy_events=legacy.leaves,
            witnesses=[
                WitnessStatus(
                    name=w.name,
                    checkpoint_id=w.checkpoint_id,
                    lag=w.lag,
                    oldest_unpublished_at=w.oldest_unpublished_at,
                    published_at=w.published_at,
                    failures=w.failures,
                    last_error=w.last_error,
                )
                for w in witnesses
            ],
        )

    @strawberry.field(description="The public key that verifies checkpoints (anyone signed in).")
    def signing_key(self, info: Info) -> SigningKey:
        public = signing_key(info.context.settings).public_key()
        raw = integ.raw_public_key(public)
        return SigningKey(
            algorithm="Ed25519",
            key_id=integ.key_id(raw),
            public_key=base64.b64encode(raw).decode(),
            pem=integ.public_key_pem(public),
        )


@strawberry.type(description="Tamper evidence: sign a checkpoint now.")
class IntegrityMutations:
    @strawberry.mutation(
        description="Record a signed checkpoint of the log as hashed now "
        "(district admins and auditors)."
    )
    async def record_checkpoint(
        self, info: Info, input: RecordCheckpointInput | None = None
    ) -> RecordCheckpointResult:
        ctx = info.context
        if not _may_read(ctx.actor):
            return e.to_graphql(
                NotAuthorized(
                    f"{', '.join(ctx.actor.role_names) or 'no role'} may not recordCheckpoint"
                )
            )
        data = input or RecordCheckpointInput()
        key = signing_key(ctx.settings)
        async with ctx.pool.acquire() as conn:
            if data.wait_for_head:
                try:
                    cp = await checkpoint_now(
                        conn,
                        key,
                        requested_by=ctx.actor.subject,
                        timeout=_HASHER_WAIT,
                        now=ctx.clock(),
                        append_keys=append_keys(ctx.settings),
                    )
                except TimeoutError:
                    cp = None  # the hasher is far behind: sign what it has reached
            else:
                cp = None
            if cp is None:
                cp = await idb.record_checkpoint(
                    conn, key, ctx.clock(), requested_by=ctx.actor.subject
                )
        return CheckpointPayload(checkpoint=checkpoint_type(cp), position=cp.last_position)
