"""The tamper catalogue: what a PostgreSQL superuser can change directly, and how an
evidence file can be edited, each with the tool that detects it (issue 10, "Done means").

Every case is a row of the table in the README's "Tamper evidence" section, by its id
(``D…`` a database modification, ``F…`` an evidence-file edit): the case applies the
modification to a small real log and asserts which tool reports it (whole-log
``verify_log``, ``verify_stream``, ``verify_evidence``, ``check_witness`` against a
directory witness holding the log's checkpoints), at which position or checkpoint, with
which words. The auditor's tools run without the application's append key unless a case
says otherwise (``keys``: the operator's ``verify``, which also checks append
authenticators). Cases the design cannot detect (stated limits, or tables outside the
log) are asserted as *not* detected, so the table stays honest. The last tests keep the
README table and ``CASES`` equal, so neither can drift.

The log every case starts from (``small_log``): streams A, B and C of 12 events each, a
gap in positions after A (a rolled-back append), checkpoint #1 after B (tree size 24),
checkpoint #2 after C (tree size 36), signed with ``KEY``; the auditor pins ``KEY``'s
public half unless a case says otherwise.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.areas import PROJECTIONS
from domain.organizations.aggregate import OrganizationKind
from eventstore.db import connect
from eventstore.integrity import merkle
from eventstore.integrity import store as idb
from eventstore.integrity.authenticators import AppendKeys, installed
from eventstore.integrity.encoding import Checkpoint, event_leaf, parse_json, sign_checkpoint
from eventstore.integrity.evidence import verify_evidence
from eventstore.integrity.hasher import LogHasher
from eventstore.integrity.verify import VerifyReport, verify_log, verify_stream
from eventstore.integrity.witness import DirectoryWitness
from eventstore.integrity.witness_check import check_witness
from eventstore.integrity.witness_targets import parse_target
from projections.runtime.rebuild import rebuild
from tests.integration.integrity.test_append_authenticators import forge
from tests.integration.integrity.test_evidence_export import edit, export
from tests.integration.integrity.test_log_coverage import BUMP, FORGE, as_superuser
from tests.integration.integrity_support import hash_and_sign
from tests.integration.support import append_events, catch_up, commands, register, req

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()  # a key the attacker holds
ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().relative_to(ROOT).as_posix()


class Tool(StrEnum):
    """The checks an auditor runs (``grassroots verify``, ``--stream``, ``--export``,
    ``--witness``)."""

    LOG = "verify_log"
    STREAM = "verify_stream"
    EVIDENCE = "verify_evidence"
    WITNESS = "check_witness"


@dataclass(frozen=True)
class Expect:
    """What one tool must answer after the modification.

    ``detected``: the report is not ok, its first problem is at ``position`` (``None``
    for a checkpoint or the file as a whole; ``ANYWHERE`` where the wording of the
    finding, not one position, says where) and contains every fragment of ``says``;
    otherwise the report is ok (a limit, or something outside the log) and its summary
    and notes contain ``says``. A witness's findings are one problem, joined by `` | ``.
    """

    tool: Tool
    position: object = None  # int, None or ANYWHERE
    says: str | tuple[str, ...] = ""
    detected: bool = True
    stream: UUID | None = None  # verify_stream; verify_evidence: ``--export FILE --stream``
    lines: Sequence[str] = ()  # verify_evidence
    pinned: bool = True  # the auditor gives the trusted public key
    keys: bool = False  # the operator's verify: the append keys given, authenticators checked


ANYWHERE = object()


def missed(tool: Tool, says: str | tuple[str, ...] = "", **kw: Any) -> Expect:
    return Expect(tool, detected=False, says=says, **kw)


def fragments(says: str | tuple[str, ...]) -> tuple[str, ...]:
    return (says,) if isinstance(says, str) else says


@dataclass
class Log:
    """The small real log of the module docstring, and where things are in it."""

    dsn: str
    pool: asyncpg.Pool
    streams: list[UUID]
    versions: dict[tuple[int, int], int]  # (stream 0..2, version) -> position
    checkpoints: list[Checkpoint]  # oldest first
    gap: int
    witness: Path  # a directory witness's folder (``witnessed`` fills it)

    def at(self, stream: int, version: int) -> int:
        return self.versions[(stream, version)]

    async def sql(self, *statements: tuple[Any, ...]) -> None:
        """Run statements as a superuser with the append-only triggers switched off."""
        await as_superuser(self.dsn, *statements)


async def small_log(dsn: str, pool: asyncpg.Pool, witness: Path) -> Log:
    await append_events(pool, 12, batch=12)
    gap = await pool.fetchval("SELECT nextval(pg_get_serial_sequence('events', 'position'))")
    await append_events(pool, 12, batch=12)
    first = await hash_and_sign(dsn, KEY)
    await append_events(pool, 12, batch=12)
    second = await hash_and_sign(dsn, KEY)
    rows = await pool.fetch("SELECT stream_id, version, position FROM events ORDER BY position")
    streams = list(dict.fromkeys(r["stream_id"] for r in rows))
    versions = {(streams.index(r["stream_id"]), r["version"]): r["position"] for r in rows}
    return Log(dsn, pool, streams, versions, [first, second], gap, witness)


Tamper = Callable[[Log], Awaitable[list[Expect]]]


@dataclass(frozen=True)
class Case:
    """A row of the README's table: a named modification and what detects it."""

    id: str
    modification: str
    tamper: Tamper | None = None
    covered_by: str | None = None  # "path::test" of a test that covers it exhaustively


CASES: list[Case] = []


def case(id: str, modification: str) -> Callable[[Tamper], Tamper]:
    def register_case(tamper: Tamper) -> Tamper:
        CASES.append(Case(id, modification, tamper))
        return tamper

    return register_case


def elsewhere(id: str, modification: str, test: str) -> None:
    CASES.append(Case(id, modification, covered_by=test))


# -- events: every column of a row ------------------------------------------------------

COLUMNS = [  # (id, column, SQL that changes it)
    ("D1", "payload", "payload = jsonb_set(payload, '{n}', '9000')"),
    ("D2", "stream_id", "stream_id = gen_random_uuid()"),
    ("D3", "stream_type", "stream_type = 'Fund'"),
    ("D4", "version", "version = version + 100"),
    ("D5", "event_id", "event_id = gen_random_uuid()"),
    ("D6", "event_type", "event_type = 'Fund.PaymentRecorded'"),
    ("D7", "schema_version", "schema_version = 2"),
    ("D8", "recorded_at", "recorded_at = recorded_at + interval '1 microsecond'"),
    ("D9", "actor", "actor = 'mallory'"),
    ("D10", "actor_roles", "actor_roles = '{district_admin}'"),
    ("D11", "correlation_id", "correlation_id = gen_random_uuid()"),
    ("D12", "causation_id", "causation_id = gen_random_uuid()"),
    ("D13", "command_id", "command_id = 'forged'"),
    ("D14", "reason", "reason = 'forged'"),
]
CHANGED = "its stored content was changed"


def _column_case(id: str, column: str, change: str) -> None:
    @case(id, f"an event's `{column}` changed")
    async def tamper(log: Log) -> list[Expect]:
        victim = log.at(1, 5)
        await log.sql((f"UPDATE events SET {change} WHERE position = $1", victim))
        stream = Expect(Tool.STREAM, victim, CHANGED, stream=log.streams[1])
        if column == "version":
            stream = Expect(Tool.STREAM, victim, "version 5 of the stream is missing", stream=log.streams[1])
        if column == "stream_id":  # the event left its stream: the stream misses version 5
            stream = Expect(Tool.STREAM, log.at(1, 6), "version 5 of the stream is missing",
                            stream=log.streams[1])
        return [Expect(Tool.LOG, victim, f"event at position {victim} (leaf {victim - 2}) "
                       f"does not match its recorded hash: {CHANGED}"), stream]


for _id, _column, _change in COLUMNS:
    _column_case(_id, _column, _change)


# -- events: rows deleted, inserted, moved, swapped -------------------------------------

def moved(victim: int, to: int) -> tuple[tuple[Any, ...], ...]:
    """Statements that move the event at ``victim`` to position ``to``: positions are an
    identity column, so a superuser deletes the row and inserts it again, every other
    column as it was."""
    return (
        ("CREATE TEMP TABLE moved ON COMMIT DROP AS SELECT * FROM events WHERE position = $1",
         victim),
        ("DELETE FROM events WHERE position = $1", victim),
        ("UPDATE moved SET position = $1", to),
        ("INSERT INTO events OVERRIDING SYSTEM VALUE SELECT * FROM moved",),
    )


@case("D15", "an event deleted")
async def _deleted(log: Log) -> list[Expect]:
    victim = log.at(1, 5)
    await log.sql(("DELETE FROM events WHERE position = $1", victim))
    return [
        Expect(Tool.LOG, victim, f"event at position {victim} (leaf {victim - 2}) is missing "
               "from the log: it was deleted or moved"),
        Expect(Tool.STREAM, log.at(1, 6), ("version 5 of", f"missing before position {log.at(1, 6)}"),
               stream=log.streams[1]),
    ]


@case("D16", "an event inserted into a gap in positions (`OVERRIDING SYSTEM VALUE`, the "
      "stream's head bumped)")
async def _into_gap(log: Log) -> list[Expect]:
    last_of_a = log.at(0, 12)
    await log.sql((FORGE, log.gap, uuid4(), last_of_a), (BUMP, last_of_a))
    return [
        Expect(Tool.LOG, log.gap, f"event at position {log.gap} was never hashed but sits "
               "inside the hashed log"),
        Expect(Tool.STREAM, log.gap, f"event at position {log.gap} is not in the checkpointed "
               "tree", stream=log.streams[0]),
    ]


def _before_one_case(id: str, forged: int) -> None:
    @case(id, f"an event inserted at position {forged} (the CHECK constraint dropped first)")
    async def tamper(log: Log) -> list[Expect]:
        last_of_c = log.at(2, 12)
        await log.sql(
            ("ALTER TABLE events DROP CONSTRAINT events_position_positive",),
            (FORGE, forged, uuid4(), last_of_c),
            (BUMP, last_of_c),
        )
        return [
            Expect(Tool.LOG, forged, f"event at position {forged} was never hashed but sits "
                   "inside the hashed log: it was inserted (or moved) after hashing, at a "
                   "position the append function never assigns"),
            Expect(Tool.STREAM, forged, ("version 1 of", f"missing before position {forged}"),
                   stream=log.streams[2]),
        ]


_before_one_case("D17", 0)
_before_one_case("D18", -1)


@case("D19", "an event inserted at position 0 or below with the CHECK constraint in place")
async def _refused_by_the_schema(log: Log) -> list[Expect]:
    last_of_c = log.at(2, 12)
    with pytest.raises(asyncpg.CheckViolationError, match="events_position_positive"):
        await log.sql((FORGE, 0, uuid4(), last_of_c), (BUMP, last_of_c))
    return [missed(Tool.LOG, "36 events verified")]  # refused: nothing was written


@case("D20", "an event moved into a gap in positions")
async def _moved_into_gap(log: Log) -> list[Expect]:
    await log.sql(*moved(log.at(1, 5), log.gap))
    return [Expect(Tool.LOG, log.gap, f"event at position {log.gap} was never hashed")]


@case("D21", "an event moved past the head, then hashed and signed into a new checkpoint")
async def _moved_to_the_end(log: Log) -> list[Expect]:
    victim = log.at(1, 5)
    await log.sql(*moved(victim, 1000))
    await hash_and_sign(log.dsn, KEY)
    return [Expect(Tool.LOG, victim, f"event at position {victim} (leaf {victim - 2}) is "
                   "missing from the log: it was deleted or moved")]


@case("D22", "two events' contents swapped")
async def _swapped(log: Log) -> list[Expect]:
    a, b = log.at(1, 3), log.at(2, 3)
    await log.sql((
        "UPDATE events x SET payload = y.payload, recorded_at = y.recorded_at, actor = 'x'"
        " FROM events y WHERE (x.position, y.position) IN (($1, $2), ($2, $1))",
        a,
        b,
    ))
    return [
        Expect(Tool.LOG, a, f"event at position {a} (leaf {a - 2}) does not match its "
               f"recorded hash: {CHANGED}"),
        Expect(Tool.STREAM, a, f"event at position {a}", stream=log.streams[1]),
    ]


# -- events rewritten together with their hashes ----------------------------------------


async def forged_leaf(log: Log, position: int) -> bytes:
    row = (await idb.canonical_rows(log.pool, "e.position = $1", position))[0]
    return event_leaf({**dict(row), "payload": parse_json(row["payload_text"])})


async def rewrite_tree(log: Log) -> None:
    """Rewrite every leaf and node to match the events as they are now, by SQL: what a
    superuser who can compute SHA-256 does (checkpoints kept; the hasher not involved)."""
    rows = await log.pool.fetch(
        f"SELECT l.leaf_index, l.position, {idb.LEAF_SQL} AS hash"
        " FROM event_leaves l JOIN events e USING (position) ORDER BY l.leaf_index"
    )
    tree = merkle.CompactRange()
    nodes = [n for r in rows for n in tree.append(bytes(r["hash"]))]
    await log.sql(
        ("DELETE FROM event_leaves",),
        ("DELETE FROM merkle_nodes",),
        (
            "INSERT INTO event_leaves (leaf_index, position, hash)"
            " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[])",
            [r["leaf_index"] for r in rows],
            [r["position"] for r in rows],
            [bytes(r["hash"]) for r in rows],
        ),
        (
            "INSERT INTO merkle_nodes (level, idx, hash)"
            " SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])",
            [n[0] for n in nodes],
            [n[1] for n in nodes],
            [n[2] for n in nodes],
        ),
    )


async def resign_all(log: Log, key: Ed25519PrivateKey) -> None:
    """Replace every checkpoint by one over the stored tree signed with ``key``."""
    forged = [
        sign_checkpoint(key, cp.tree_size, await idb.root_at(log.pool, cp.tree_size),  # type: ignore[arg-type,unused-ignore]
                        cp.last_position, cp.signed_at)
        for cp in log.checkpoints
    ]
    await log.sql(("DELETE FROM checkpoints",), *(_insert_checkpoint(cp) for cp in forged))


def _insert_checkpoint(cp: Checkpoint) -> tuple[Any, ...]:
    return (
        "INSERT INTO checkpoints (tree_size, root_hash, last_position, signed_at, key_id,"
        " public_key, signature, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, 'on_demand')",
        cp.tree_size, cp.root_hash, cp.last_position, cp.signed_at, cp.key_id,
        cp.public_key, cp.signature,
    )


@case("D23", "an event rewritten together with its recorded leaf")
async def _with_leaf(log: Log) -> list[Expect]:
    victim = log.at(2, 4)  # between checkpoint #1 and #2
    await log.sql(("UPDATE events SET actor = 'mallory' WHERE position = $1", victim))
    await log.sql(("UPDATE event_leaves SET hash = $2 WHERE position = $1", victim,
                   await forged_leaf(log, victim)))
    first, second = log.checkpoints
    return [
        Expect(Tool.LOG, first.last_position + 1, f"checkpoint #{second.id} (tree size 36) does "
               f"not match the log: an event after position {first.last_position} and up to "
               f"{second.last_position} (leaves 24..35) was rewritten together with its "
               "recorded leaf"),
        # The first event whose audit path holds the forged leaf: its neighbour (leaf 26).
        Expect(Tool.STREAM, log.at(2, 3), "does not prove into the checkpoint's root",
               stream=log.streams[2]),
    ]


@case("D24", "an event rewritten together with its leaf and every Merkle node (the whole "
      "tree recomputed from the rewritten log)")
async def _with_tree(log: Log) -> list[Expect]:
    victim = log.at(1, 4)  # before checkpoint #1
    await log.sql(("UPDATE events SET payload = '{\"n\": 9000}' WHERE position = $1", victim))
    await rewrite_tree(log)
    first, second = log.checkpoints
    # The stored tree now proves nothing into either signed root: the chain of checkpoints
    # (#1 -> #2) no longer holds, and --stream and evidence files say which pair.
    chain = (f"checkpoint #{second.id} (tree size 36) is not consistent with checkpoint "
             f"#{first.id} (tree size 24)")
    return [
        Expect(Tool.LOG, 1, f"checkpoint #{first.id} (tree size 24) does not match the log"),
        Expect(Tool.STREAM, None, chain, stream=log.streams[1]),
        Expect(Tool.EVIDENCE, None, chain, lines=await stream_file(log)),
    ]


# -- leaves (event_leaves) and nodes (merkle_nodes) -------------------------------------


@case("D25", "a recorded leaf changed")
async def _leaf_changed(log: Log) -> list[Expect]:
    victim = log.at(1, 5)
    await log.sql(("UPDATE event_leaves SET hash = sha256(hash) WHERE position = $1", victim))
    return [Expect(Tool.LOG, victim, f"event at position {victim} (leaf {victim - 2}) does "
                   "not match its recorded hash")]


@case("D26", "a recorded leaf deleted")
async def _leaf_deleted(log: Log) -> list[Expect]:
    victim = log.at(1, 5)
    await log.sql(("DELETE FROM event_leaves WHERE position = $1", victim))
    return [
        Expect(Tool.LOG, victim, f"event at position {victim} was never hashed but sits "
               "inside the hashed log"),
        Expect(Tool.STREAM, victim, "is not in the checkpointed tree: it was inserted (or "
               "moved) after hashing, or its recorded leaf was deleted", stream=log.streams[1]),
    ]


@case("D27", "two recorded leaves swapped (the tree's order rewritten)")
async def _leaves_swapped(log: Log) -> list[Expect]:
    a, b = log.at(1, 2), log.at(1, 9)
    await log.sql(
        ("UPDATE event_leaves SET position = -1 WHERE position = $1", a),
        ("UPDATE event_leaves SET position = $1 WHERE position = $2", a, b),
        ("UPDATE event_leaves SET position = $1 WHERE position = -1", b),
    )
    return [
        Expect(Tool.LOG, a, f"event at position {a} was never hashed"),
        Expect(Tool.STREAM, a, f"event at position {a}", stream=log.streams[1]),
    ]


@case("D28", "a stored Merkle node changed (level 1)")
async def _node_changed(log: Log) -> list[Expect]:
    await log.sql(("UPDATE merkle_nodes SET hash = sha256(hash) WHERE level = 1 AND idx = 7",))
    leaf14 = await log.pool.fetchval("SELECT position FROM event_leaves WHERE leaf_index = 14")
    return [
        Expect(Tool.LOG, leaf14, "stored Merkle node level 1 index 7 (leaves 14..15, positions "
               f"{leaf14}..{leaf14 + 1}) does not match the tree rebuilt from the recorded "
               "leaves"),
        # Events whose audit path runs through the node (leaves 12 and 13) no longer prove.
        Expect(Tool.STREAM, log.at(1, 1), "does not prove into the checkpoint's root",
               stream=log.streams[1]),
    ]


@case("D29", "a stored Merkle node deleted (level 2)")
async def _node_deleted(log: Log) -> list[Expect]:
    await log.sql(("DELETE FROM merkle_nodes WHERE level = 2 AND idx = 1",))
    leaf4 = await log.pool.fetchval("SELECT position FROM event_leaves WHERE leaf_index = 4")
    return [
        Expect(Tool.LOG, leaf4, "stored Merkle node level 2 index 1 (leaves 4..7, positions "
               f"{leaf4}..{leaf4 + 3}) is missing: it was deleted"),
        Expect(Tool.STREAM, log.at(0, 1), "lacks the stored hashes that prove it into the "
               "checkpoint (level 2 index 1", stream=log.streams[0]),
    ]


elsewhere(
    "D30",
    "a stored Merkle node changed at level 10, inside one verify chunk and across chunks",
    "tests/integration/integrity/test_log_coverage.py::test_a_changed_stored_node_is_named",
)
elsewhere(
    "D31",
    "a leaf and every node above it deleted: `verify --stream` and `export` on the command line",
    "tests/integration/integrity/test_log_coverage.py::"
    "test_deleted_hashes_are_reported_by_stream_verify_and_refused_by_export",
)


# -- the hasher's tracking row ----------------------------------------------------------


@case("D32", "the hasher's tracking position moved back")
async def _tracking_back(log: Log) -> list[Expect]:
    first = log.checkpoints[0]
    await log.sql(("UPDATE hasher_tracking SET position = $1", first.last_position))
    return [Expect(Tool.LOG, log.at(2, 1), f"event at position {log.at(2, 1)} (leaf 24) is "
                   "missing from the log")]


@case("D33", "the hasher's tracking position moved ahead, so that the next events are "
      "never hashed")
async def _tracking_ahead(log: Log) -> list[Expect]:
    await log.sql(("UPDATE hasher_tracking SET position = position + 50",))
    last = await append_events(log.pool, 3)
    await hash_and_sign(log.dsn, KEY)  # hashes nothing, signs tree size 36 again
    return [Expect(Tool.LOG, last - 2, f"event at position {last - 2} was never hashed but "
                   "sits inside the hashed log")]


@case("D34", "the hasher's tracking tree size lowered")
async def _tracking_size(log: Log) -> list[Expect]:
    await log.sql(("UPDATE hasher_tracking SET tree_size = 30",))
    leaf30 = await log.pool.fetchval("SELECT position FROM event_leaves WHERE leaf_index = 30")
    return [Expect(Tool.LOG, leaf30, f"event at position {leaf30} was never hashed")]


@case("D35", "the hasher's tracking row deleted")
async def _tracking_deleted(log: Log) -> list[Expect]:
    await log.sql(("DELETE FROM hasher_tracking",))
    first = log.checkpoints[0]
    return [Expect(Tool.LOG, first.last_position, f"checkpoint #{first.id} covers 24 events "
                   "but only 0 leaves are recorded: leaves were deleted")]


# -- checkpoints ------------------------------------------------------------------------

SIGNED_FIELDS = [  # (column, SQL that changes it)
    ("tree_size", "tree_size = tree_size - 1"),
    ("root_hash", "root_hash = sha256(root_hash)"),
    ("last_position", "last_position = last_position + 1"),
    ("signed_at", "signed_at = signed_at + interval '1 second'"),
    ("signature", "signature = sha256(signature) || sha256(signature)"),
    ("key_id", "key_id = 'forged0000000000'"),
]
UNSIGNED = "is not signed by"


def _checkpoint_case(id: str, which: int, column: str, change: str) -> None:
    label = ("an older", "the latest")[which]

    @case(id, f"{label} checkpoint's `{column}` changed")
    async def tamper(log: Log) -> list[Expect]:
        cp = log.checkpoints[which]
        await log.sql((f"UPDATE checkpoints SET {change} WHERE id = $1", cp.id))
        size = cp.tree_size - 1 if column == "tree_size" else cp.tree_size
        says = f"checkpoint #{cp.id} (tree size {size}) {UNSIGNED}"
        # --stream checks every stored checkpoint; stream B's file carries #1 (which
        # sealed its events) and #2 (which its proofs go into).
        return [Expect(Tool.LOG, None, says),
                Expect(Tool.STREAM, None, says, stream=log.streams[1]),
                Expect(Tool.EVIDENCE, None, says, lines=await stream_file(log))]


for _n, (_column, _change) in enumerate(SIGNED_FIELDS):
    _checkpoint_case(f"D{36 + _n}", 0, _column, _change)
    _checkpoint_case(f"D{42 + _n}", 1, _column, _change)


@case("D48", "a checkpoint's stored `public_key` replaced by another key")
async def _public_key_column(log: Log) -> list[Expect]:
    other = OTHER.public_key().public_bytes_raw()
    await log.sql(("UPDATE checkpoints SET public_key = $1", other))
    # Harmless: verify never trusts the key a row claims, only the key it is given.
    return [missed(Tool.LOG, "2 of 2 checkpoints match"),
            missed(Tool.STREAM, "checkpoints match", stream=log.streams[1])]


@case("D49", "a checkpoint's `origin` or `requested_by` changed")
async def _unsigned_columns(log: Log) -> list[Expect]:
    await log.sql(("UPDATE checkpoints SET origin = 'periodic', requested_by = 'mallory'",))
    # Not signed: who asked for a checkpoint says nothing about the log it signs.
    return [missed(Tool.LOG, "2 of 2 checkpoints match")]


@case("D50", "a forged checkpoint inserted (signed with another key)")
async def _forged_checkpoint(log: Log) -> list[Expect]:
    cp = sign_checkpoint(OTHER, 36, hashlib.sha256(b"forged").digest(),
                         log.checkpoints[1].last_position, datetime.now(UTC))
    await log.sql(_insert_checkpoint(cp))
    says = f"checkpoint #3 (tree size 36) {UNSIGNED}"
    return [Expect(Tool.LOG, None, says), Expect(Tool.STREAM, None, says, stream=log.streams[1])]


@case("D51", "every checkpoint replaced by one signed with another key (key id and public "
      "key in the rows replaced too)")
async def _resigned(log: Log) -> list[Expect]:
    await resign_all(log, OTHER)
    return [
        Expect(Tool.LOG, None, UNSIGNED),
        Expect(Tool.STREAM, None, UNSIGNED, stream=log.streams[1]),
        # A verifier given no key checks no signature: the README's stated limit (the
        # command line then uses the configured signing key's public half).
        missed(Tool.LOG, "signatures NOT checked", pinned=False),
    ]


# -- other tables -----------------------------------------------------------------------


@case("D52", "a stream's head (`streams.version`) changed")
async def _stream_head(log: Log) -> list[Expect]:
    await log.sql(("UPDATE streams SET version = 13 WHERE stream_id = $1", log.streams[1]))
    return [Expect(Tool.STREAM, log.at(1, 12), "the stream's head is version 13 but its "
                   "events end at version 12", stream=log.streams[1])]


@case("D53", "the events table truncated")
async def _truncated(log: Log) -> list[Expect]:
    await log.sql(("TRUNCATE events",))
    return [Expect(Tool.LOG, 1, "event at position 1 (leaf 0) is missing from the log")]


@case("D54", "a member's personal-data key deleted (`personal_keys`)")
async def _personal_keys(log: Log) -> list[Expect]:
    cmds = commands(log.pool)
    kind = OrganizationKind
    district = (await cmds.establish_organization(req(), kind.DISTRICT_COMMITTEE, "姑苏区委", None)).id
    street = (await cmds.establish_organization(
        req(), kind.STREET_WORKING_COMMITTEE, "平江街道党工委", district, "320508019000")).id
    home = (await cmds.establish_organization(
        req(), kind.COMMUNITY_COMMITTEE, "平江新村社区党委", street, "320508019001")).id
    member = (await register(cmds, home, "李秀英", "32050819790412006")).id
    await hash_and_sign(log.dsn, KEY)
    assert await log.pool.fetchval("SELECT count(*) FROM personal_keys WHERE subject_id = $1", member)
    await log.sql(("DELETE FROM personal_keys WHERE subject_id = $1", member))
    # By design: the keys live outside the log, so destroying them (crypto-shredding)
    # leaves every event, leaf and checkpoint as it was; the sealed fields no longer open.
    return [missed(Tool.LOG, "3 of 3 checkpoints match"),
            missed(Tool.STREAM, "checkpoints match", stream=member)]


@case("D55", "a read model changed (an organization's name in `organizations`)")
async def _read_model(log: Log) -> list[Expect]:
    cmds = commands(log.pool)
    org = (await cmds.establish_organization(req(), OrganizationKind.DISTRICT_COMMITTEE,
                                             "姑苏区委", None)).id
    await catch_up(log.dsn, PROJECTIONS["organizations"])
    await log.sql(("UPDATE organizations SET name = '伪造' WHERE id = $1", org))
    # Read models are not evidence: verify does not read them; a rebuild from the log
    # (grassroots rebuild) restores what the log says, so comparing one reveals it.
    await rebuild(log.dsn, PROJECTIONS["organizations"])
    assert await log.pool.fetchval("SELECT name FROM organizations WHERE id = $1", org) == "姑苏区委"
    return [missed(Tool.LOG, "events verified")]


@case("D56", "a write-side index changed (`claims`, `idempotency_keys`)")
async def _write_side(log: Log) -> list[Expect]:
    await log.sql(
        ("INSERT INTO claims (scope, key, owner) VALUES ('member.id_number', 'x', $1)", uuid4()),
        ("INSERT INTO idempotency_keys (actor, key, fingerprint, last_position, result)"
         " VALUES ('t', 'k', 'f', 1, '{}')",),
    )
    # Not part of the log: they decide what may be appended, and record nothing.
    return [missed(Tool.LOG, "36 events verified")]


@case("D67", "a stream's `streams` row deleted")
async def _streams_row(log: Log) -> list[Expect]:
    await log.sql(("DELETE FROM streams WHERE stream_id = $1", log.streams[1]))
    # The head is what shows a deleted newest event: a stream without one is refused.
    return [
        Expect(Tool.STREAM, log.at(1, 12), f"stream {log.streams[1]} has no recorded head (its "
               "streams row is missing)", stream=log.streams[1]),
        Expect(Tool.EVIDENCE, log.at(1, 12), f"stream {log.streams[1]} has no recorded head (its "
               "streams row was missing when exported)", lines=await stream_file(log)),
    ]


@case("D68", "a stream's newest event deleted and its head (`streams.version`) lowered to match")
async def _tail_and_head(log: Log) -> list[Expect]:
    newest = log.at(1, 12)
    await log.sql(("DELETE FROM events WHERE position = $1", newest),
                  ("UPDATE streams SET version = 11 WHERE stream_id = $1", log.streams[1]))
    # A limit of the stream alone: nothing inside a stream says how long it should be, so
    # --stream and a file exported now agree with the database; the whole log does not.
    return [
        Expect(Tool.LOG, newest, f"event at position {newest} (leaf {newest - 2}) is missing "
               "from the log: it was deleted or moved"),
        missed(Tool.STREAM, "11 events verified", stream=log.streams[1]),
        missed(Tool.EVIDENCE, "11 events verified", lines=await stream_file(log)),
    ]


# -- append authenticators: rows the application did not append as they stand -----------


class SealsAnything(AppendKeys):
    """The append keys of a hasher a superuser runs on their own: it checks nothing."""

    def problem(self, digest: bytes | None, key_id: str | None, mac: bytes | None) -> str | None:
        return None


async def seal(log: Log, keys: AppendKeys | None = None) -> None:
    """Seal the log (leaves, nodes, tracking) without signing a checkpoint."""
    conn = await connect(log.dsn)
    try:
        await LogHasher("", None, None, append_keys=keys).catch_up(conn)
    finally:
        await conn.close()


async def forged_event(log: Log) -> int:
    """A row INSERTed with SQL as the next version of stream C, its head bumped to match."""
    forged = await forge(log.pool, log.at(2, 12))
    await log.sql((BUMP, forged))
    return forged


@case("D57", "an event INSERTed by SQL after the hashed part, its stream's head bumped")
async def _inserted_unsealed(log: Log) -> list[Expect]:
    forged = await forged_event(log)
    assert (await hash_and_sign(log.dsn, KEY)).tree_size == 36  # sealed nothing past it
    refused = await idb.first_refused(log.pool, installed())  # integrityStatus, /readyz
    assert refused is not None and refused.position == forged
    says = (f"event at position {forged} carries no append authenticator",
            "the hasher refuses to seal it, and sealing stops before it")
    return [
        Expect(Tool.LOG, forged, says, keys=True),
        Expect(Tool.STREAM, forged, says, stream=log.streams[2], keys=True),
        # Without the key, an unsealed row is only "not hashed yet" (refusedEvent says why).
        missed(Tool.LOG, "1 newer events are not hashed yet"),
    ]


@case("D58", "an event INSERTed by SQL, sealed by a hasher that checks nothing (the "
      "superuser's own, or leaves and nodes written with SQL) and signed into the next "
      "checkpoint")
async def _inserted_sealed(log: Log) -> list[Expect]:
    forged = await forged_event(log)
    await seal(log, SealsAnything([bytes(32)]))
    await hash_and_sign(log.dsn, KEY)  # the running server signs what it finds sealed
    says = (f"event at position {forged} carries no append authenticator", "yet it is sealed")
    return [
        Expect(Tool.LOG, forged, says, keys=True),
        Expect(Tool.STREAM, forged, says, stream=log.streams[2], keys=True),
        missed(Tool.LOG, "3 of 3 checkpoints match"),  # the tree itself is consistent
    ]


@case("D59", "an event changed between its commit and its hashing")
async def _changed_before_sealing(log: Log) -> list[Expect]:
    victim = await append_events(log.pool, 3) - 1
    await log.sql(("UPDATE events SET payload = '{\"n\": 9000}' WHERE position = $1", victim))
    assert (await hash_and_sign(log.dsn, KEY)).tree_size == 37  # sealed up to it
    return [Expect(Tool.LOG, victim, (f"event at position {victim}", "does not match its "
                   "append authenticator", "the hasher refuses to seal it"), keys=True)]


@case("D60", "an event after the latest checkpoint rewritten together with its leaf and "
      "the nodes above it")
async def _rewritten_after_checkpoint(log: Log) -> list[Expect]:
    victim = await append_events(log.pool, 3) - 1
    await seal(log)  # sealed, not yet signed into a checkpoint
    await log.sql(("UPDATE events SET payload = '{\"n\": 9000}' WHERE position = $1", victim))
    await rewrite_tree(log)
    return [
        Expect(Tool.LOG, victim, (f"event at position {victim}", "does not match its append "
               "authenticator", "yet it is sealed"), keys=True),
        # Leaves after the latest checkpoint are the database's own word: the tree alone
        # agrees with the two checkpoints.
        missed(Tool.LOG, "2 of 2 checkpoints match"),
    ]


@case("D71", "an event's `recorded_at` changed between its commit and its hashing")
async def _recorded_at_before_sealing(log: Log) -> list[Expect]:
    victim = await append_events(log.pool, 3) - 1
    await log.sql(("UPDATE events SET recorded_at = recorded_at - interval '1 day'"
                   " WHERE position = $1", victim))
    assert (await hash_and_sign(log.dsn, KEY)).tree_size == 39
    # A limit: PostgreSQL assigns position and recorded_at inside the append, so the
    # authenticator cannot cover them; the tree does once sealed (milliseconds later).
    return [missed(Tool.LOG, ("39 events verified", "39 append authenticator(s) verified"),
                   keys=True)]


@case("D72", "an event deleted between its commit and its hashing")
async def _deleted_before_sealing(log: Log) -> list[Expect]:
    last = await append_events(log.pool, 3)
    await log.sql(("DELETE FROM events WHERE position = $1", last - 1))
    assert (await hash_and_sign(log.dsn, KEY)).tree_size == 38
    stream = await log.pool.fetchval("SELECT stream_id FROM events WHERE position = $1", last)
    # A limit of the log (an authenticator says nothing about the rows around it); the
    # stream's versions still show the gap (not if its newest event went, head lowered).
    return [
        missed(Tool.LOG, ("38 events verified", "38 append authenticator(s) verified"),
               keys=True),
        Expect(Tool.STREAM, last, ("version 2 of the stream is missing before position "
               f"{last}"), stream=stream),
    ]


elsewhere(
    "D69",
    "an event INSERTed by SQL with an append authenticator copied from another event",
    "tests/integration/integrity/test_append_authenticators.py::"
    "test_an_authenticator_copied_from_another_event_is_refused",
)
elsewhere(
    "D70",
    "the legacy boundary (`append_authentication`) moved to pass a forged event off as a "
    "legacy one (appended before authenticators began)",
    "tests/integration/integrity/test_append_authenticators.py::"
    "test_upgrading_keeps_every_event_already_in_the_log_as_legacy_and_says_how_many_were_unsealed",
)


# -- what only a witness shows: checkpoints deleted, rolled back, re-signed -------------


def directory(log: Log) -> DirectoryWitness:
    return DirectoryWitness(parse_target(f"dir:{log.witness}"), 5.0)


async def witnessed(log: Log) -> None:
    """Publish the log's two checkpoints to the directory witness, as the server does."""
    log.witness.mkdir()
    witness = directory(log)
    for cp in log.checkpoints:
        await witness.publish(cp)


DELETED = "is on the witness but not in the database: it was deleted"
ROLLED_BACK = "the log was rolled back"


def named(cp: Checkpoint) -> str:
    return f"checkpoint #{cp.id} (tree size {cp.tree_size}, signed at"


@case("D61", "the latest checkpoint deleted")
async def _latest_deleted(log: Log) -> list[Expect]:
    await witnessed(log)
    first, second = log.checkpoints
    await log.sql(("DELETE FROM checkpoints WHERE id = $1", second.id))
    return [
        missed(Tool.LOG, "1 of 1 checkpoints match"),  # the database alone
        Expect(Tool.WITNESS, None, (named(second), DELETED, f"the database's latest checkpoint "
               f"is #{first.id} of tree size 24: {ROLLED_BACK}")),
    ]


@case("D62", "an older checkpoint deleted")
async def _older_deleted(log: Log) -> list[Expect]:
    await witnessed(log)
    first = log.checkpoints[0]
    await log.sql(("DELETE FROM checkpoints WHERE id = $1", first.id))
    return [
        missed(Tool.LOG, "1 of 1 checkpoints match"),
        missed(Tool.STREAM, "1 of 1 checkpoints match", stream=log.streams[1]),
        Expect(Tool.WITNESS, None, (named(first), DELETED)),
    ]


@case("D63", "every checkpoint deleted")
async def _all_deleted(log: Log) -> list[Expect]:
    await witnessed(log)
    await log.sql(("DELETE FROM checkpoints",))
    return [
        missed(Tool.LOG, ("0 of 0 checkpoints match", "no checkpoint yet: events were checked "
                          "against the recorded leaves only")),
        Expect(Tool.STREAM, None, "there is no checkpoint yet", stream=log.streams[1]),
        Expect(Tool.WITNESS, None, (named(log.checkpoints[0]), DELETED, "the database has no "
               f"checkpoint at all: {ROLLED_BACK}")),
    ]


@case("D64", "the latest checkpoint deleted and a copy of an older one inserted as the "
      "newest row (the latest rolled back)")
async def _rolled_back(log: Log) -> list[Expect]:
    await witnessed(log)
    first, second = log.checkpoints
    await log.sql(("DELETE FROM checkpoints WHERE id = $1", second.id), _insert_checkpoint(first))
    # Every row is genuine and consistent: only a copy kept elsewhere shows what is gone.
    return [
        missed(Tool.LOG, "2 of 2 checkpoints match"),
        missed(Tool.STREAM, "2 of 2 checkpoints match", stream=log.streams[1]),
        Expect(Tool.WITNESS, None, (named(second), DELETED, "the database's latest checkpoint "
               f"is #3 of tree size 24: {ROLLED_BACK}")),
    ]


@case("D65", "an event's `recorded_at` changed (an authenticator does not cover it), the "
      "integrity tables wiped (leaves, nodes, tracking, checkpoints and their ids) and the log "
      "re-hashed and re-signed by the running server")
async def _resigned_history(log: Log) -> list[Expect]:
    await witnessed(log)
    victim = log.at(1, 5)
    await log.sql(
        ("UPDATE events SET recorded_at = recorded_at - interval '1 day' WHERE position = $1",
         victim),
        ("TRUNCATE event_leaves, merkle_nodes",),
        ("TRUNCATE checkpoints RESTART IDENTITY",),
        ("UPDATE hasher_tracking SET position = 0, tree_size = 0",),
    )
    first, second = log.checkpoints
    resigned = await hash_and_sign(log.dsn, KEY)
    assert (resigned.id, resigned.tree_size) == (first.id, 36)
    # A new history, consistent with itself and authenticated: the database cannot tell.
    return [
        missed(Tool.LOG, ("1 of 1 checkpoints match", "36 append authenticator(s) verified"),
               keys=True),
        missed(Tool.STREAM, "1 of 1 checkpoints match", stream=log.streams[1], keys=True),
        Expect(Tool.WITNESS, None, (
            f"{named(first)}", f"differs from the database's checkpoint #{first.id} in its "
            "tree size, root, last position, signing time, signature",
            f"{named(second)}", DELETED,
            f"the database's history is not consistent with witnessed {named(first)}")),
    ]


@case("D66", "every table truncated (events and integrity tables)")
async def _everything_truncated(log: Log) -> list[Expect]:
    await witnessed(log)
    await log.sql(
        ("TRUNCATE events, streams, event_leaves, merkle_nodes, checkpoints",),
        ("UPDATE hasher_tracking SET position = 0, tree_size = 0",),
    )
    return [
        missed(Tool.LOG, "clean: 0 events verified"),  # an empty log is a valid log
        Expect(Tool.WITNESS, None, (named(log.checkpoints[0]), DELETED, "the database has no "
               f"checkpoint at all: {ROLLED_BACK}")),
    ]


# -- evidence files ---------------------------------------------------------------------
# Edits go by a line's type and an event's position, never by line number: a file holds
# one checkpoint line (format /1) or a chain of them (format /2).


def bodies(lines: Sequence[str]) -> list[dict[str, Any]]:
    return [json.loads(x) for x in lines]


def dumped(items: Sequence[dict[str, Any]]) -> list[str]:
    return [json.dumps(b, ensure_ascii=False) + "\n" for b in items]


def recounted(items: list[dict[str, Any]]) -> list[str]:
    """The end line made to agree with the events left: what a careful forger does."""
    items[-1] = {"type": "end", "events": sum(1 for b in items if b["type"] == "event")}
    return dumped(items)


def without(lines: Sequence[str], position: int) -> list[str]:
    return recounted([b for b in bodies(lines) if b.get("position") != position])


def with_checkpoint(lines: Sequence[str], change: dict[str, Any]) -> list[str]:
    """The checkpoint every audit path proves into (the last checkpoint line) changed."""
    items = bodies(lines)
    last = max(i for i, b in enumerate(items) if b["type"] == "checkpoint")
    items[last] = {**items[last], "checkpoint": {**items[last]["checkpoint"], **change}}
    return dumped(items)


def only_checkpoint(lines: Sequence[str], checkpoint: dict[str, Any] | None) -> list[str]:
    """Every checkpoint line replaced by one holding ``checkpoint`` (or none at all)."""
    items = bodies(lines)
    header, events = items[0], [b for b in items[1:] if b["type"] != "checkpoint"]
    if "checkpoints" in header:
        header["checkpoints"] = 0 if checkpoint is None else 1
    chain = [] if checkpoint is None else [
        {"type": "checkpoint", "checkpoint": checkpoint, "consistency": None}
    ]
    return dumped([header, *chain, *events])


def with_head(lines: Sequence[str], stream: UUID, head: int) -> list[str]:
    """The stream's head as the header states it (``streamHead`` in /1, ``selection`` in /2)."""
    items = bodies(lines)
    if "streamHead" in items[0]:
        items[0]["streamHead"] = head
    else:
        items[0]["selection"]["streams"][str(stream)] = head
    return dumped(items)


def with_selection(lines: Sequence[str], selection: dict[str, Any]) -> list[str]:
    """The header's claim (``selection``) replaced: the header is not signed."""
    items = bodies(lines)
    items[0] = {**items[0], "selection": selection}
    return dumped(items)


def moved_line(lines: Sequence[str], position: int, after: int) -> list[str]:
    """The event line at ``position`` put (again, if ``after`` is its own) after ``after``."""
    items = bodies(lines)
    line = next(b for b in items if b.get("position") == position)
    if after != position:
        items.remove(line)
    at = next(i for i, b in enumerate(items) if b.get("position") == after)
    return dumped([*items[: at + 1], line, *items[at + 1:]])


async def stream_file(log: Log, stream: int = 1) -> list[str]:
    return await export(log.dsn, stream_id=log.streams[stream])


def _line_of(lines: Sequence[str], position: int) -> dict[str, Any]:
    return next(b for b in bodies(lines) if b.get("position") == position)


def _snake(name: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), name)


def _forged_content_and_leaf(log: Log, lines: list[str]) -> list[str]:
    changed = {**_line_of(lines, log.at(1, 5)), "payload": {"n": 9000}}
    # The leaf the verifier will recompute: the stored columns, from the line's fields.
    columns = {_snake(k): v for k, v in parse_json(json.dumps(changed)).items()
               if _snake(k) in EVENT_COLUMNS}
    leaf = event_leaf(columns)
    return edit(lines, changed["position"], {"payload": {"n": 9000}, "leafHash": leaf.hex()})


def _path_changed(log: Log, lines: list[str]) -> list[str]:
    path = _line_of(lines, log.at(1, 5))["auditPath"]
    return edit(lines, log.at(1, 5), {"auditPath": [hashlib.sha256(b"x").hexdigest(), *path[1:]]})


EVENT_COLUMNS = {"position", *(column for _, column, _ in COLUMNS)}
NO_PROOF = "does not prove into the checkpoint's root"
Edit = Callable[[Log, list[str]], list[str]]
Where = Callable[[Log], object]


def _file_case(id: str, modification: str, edit_file: Edit, where: Where,
               says: str | tuple[str, ...]) -> None:
    @case(id, modification)
    async def tamper(log: Log) -> list[Expect]:
        lines = await stream_file(log)
        return [Expect(Tool.EVIDENCE, where(log), says, lines=edit_file(log, lines))]


def _version(v: int) -> Where:
    return lambda log: log.at(1, v)


def _nowhere(log: Log) -> None:
    return None


def _anywhere(log: Log) -> object:
    return ANYWHERE


_file_case("F1", "an event's payload changed",
           lambda log, ls: edit(ls, log.at(1, 5), {"payload": {"n": 9000}}),
           _version(5), "does not match its recorded hash: its content was changed")
_file_case("F2", "an event's `leafHash` changed",
           lambda log, ls: edit(ls, log.at(1, 5), {"leafHash": hashlib.sha256(b"x").hexdigest()}),
           _version(5), "does not match its recorded hash")
_file_case("F3", "an event's content changed and its `leafHash` recomputed to match",
           _forged_content_and_leaf, _version(5), NO_PROOF)
_file_case("F4", "an `auditPath` entry changed", _path_changed, _version(5), NO_PROOF)
_file_case("F5", "an `auditPath` entry removed",
           lambda log, ls: edit(ls, log.at(1, 5),
                                {"auditPath": _line_of(ls, log.at(1, 5))["auditPath"][1:]}),
           _version(5), NO_PROOF)
_file_case("F6", "an event's `leafIndex` changed",
           lambda log, ls: edit(ls, log.at(1, 5),
                                {"leafIndex": _line_of(ls, log.at(1, 5))["leafIndex"] + 1}),
           _version(5), NO_PROOF)
_file_case("F7", "an event's `leafIndex`, `leafHash` and `auditPath` removed (made to look "
           "newer than the checkpoint)",
           lambda log, ls: edit(ls, log.at(1, 5), {"leafIndex": None, "leafHash": None,
                                                   "auditPath": None}),
           _version(5), "was never hashed but lies inside the checkpointed log")
_file_case("F8", "an event line removed from a stream's file (end count adjusted)",
           lambda log, ls: without(ls, log.at(1, 5)), _version(6),
           ("version 5 of", "missing before position"))
_file_case("F9", "a stream's first event line removed (end count adjusted)",
           lambda log, ls: without(ls, log.at(1, 1)), _version(2),
           ("version 1 of", "missing before position"))
_file_case("F11", "an event line duplicated",
           lambda log, ls: moved_line(ls, log.at(1, 3), log.at(1, 3)), _version(3),
           "is out of order after position")
_file_case("F12", "two event lines reordered",
           lambda log, ls: moved_line(ls, log.at(1, 3), log.at(1, 4)), _version(3),
           "is out of order after position")
_file_case("F14", "the end line removed", lambda log, ls: ls[:-1], _nowhere,
           "the file is truncated (no end line)")
_file_case("F15", "the end line's count changed",
           lambda log, ls: [*ls[:-1], '{"type": "end", "events": 13}\n'],
           _nowhere, "the file lists 12 events but says 13")
_file_case("F16", "the stream's head stated in the header changed",
           lambda log, ls: with_head(ls, log.streams[1], 13),
           _anywhere, ("version 13", "version 12"))  # /1 names the file, /2 its last event
_file_case("F17", "an event's `version` changed",
           lambda log, ls: edit(ls, log.at(1, 5), {"version": 6}), _version(5),
           ("version 5 of", "missing before position"))
def _checkpoint_field(name: str, value: object) -> Edit:
    return lambda log, lines: with_checkpoint(lines, {name: value})


for _n, (_name, _value) in enumerate([
    ("signature", "AAAA" * 21 + "AA=="),
    ("treeSize", 35),
    ("rootHash", hashlib.sha256(b"x").hexdigest()),
    ("lastPosition", 1),
    ("signedAt", "2020-01-01T00:00:00.000000Z"),
]):
    _file_case(f"F{18 + _n}", f"the checkpoint's `{_name}` changed",
               _checkpoint_field(_name, _value), _nowhere, UNSIGNED)
_file_case("F23", "the checkpoint removed",
           lambda log, ls: only_checkpoint(ls, None), _nowhere,
           "the file carries no signed checkpoint")
_file_case("F24", "the checkpoint replaced by an older genuine checkpoint",
           lambda log, ls: only_checkpoint(ls, log.checkpoints[0].to_json()), _version(1),
           NO_PROOF)
_file_case("F26", "the header's claim widened to the whole log on a stream's file "
           "(`selection` `{\"rule\": \"log\"}`)",
           lambda log, ls: with_selection(ls, {"rule": "log"}),
           _version(1), "expected leaf 0: an event before it is missing")


@case("F10", "an event line removed from a whole-log file (end count adjusted)")
async def _whole_log_line(log: Log) -> list[Expect]:
    lines = await export(log.dsn)
    return [Expect(Tool.EVIDENCE, log.at(1, 6), (f"position {log.at(1, 6)}", "missing"),
                   lines=without(lines, log.at(1, 5)))]


@case("F13", "a forged event line added to a stream's file (the next version, no proof; "
      "head and end count adjusted)")
async def _forged_line(log: Log) -> list[Expect]:
    items = bodies(with_head(await stream_file(log), log.streams[1], 13))
    last = items[-2]
    forged = {**last, "position": log.at(2, 2), "version": 13, "eventId": str(uuid4()),
              "payload": {"n": 9000}, "leafIndex": None, "leafHash": None, "auditPath": None}
    return [Expect(Tool.EVIDENCE, forged["position"], "was never hashed but lies inside the "
                   "checkpointed log", lines=recounted([*items[:-1], forged, items[-1]]))]


@case("F25", "the file's `publicKey` swapped for another key (signature untouched)")
async def _public_key_in_file(log: Log) -> list[Expect]:
    other = base64.b64encode(OTHER.public_key().public_bytes_raw()).decode()
    lines = with_checkpoint(await stream_file(log), {"publicKey": other})
    return [
        missed(Tool.EVIDENCE, "12 events verified", lines=lines),  # pinned: never read
        Expect(Tool.EVIDENCE, None, UNSIGNED, lines=lines, pinned=False),
    ]


@case("F27", "a file exported from a log rewritten and re-signed with another key")
async def _resigned_file(log: Log) -> list[Expect]:
    victim = log.at(1, 5)
    await log.sql(("UPDATE events SET payload = '{\"n\": 9000}' WHERE position = $1", victim))
    await rewrite_tree(log)
    await resign_all(log, OTHER)
    lines = await stream_file(log)
    return [
        Expect(Tool.EVIDENCE, None, UNSIGNED, lines=lines),
        # Trusting the key inside the file proves nothing: the README's stated limit.
        missed(Tool.EVIDENCE, "12 events verified", lines=lines, pinned=False),
    ]


@case("F28", "a stream's last events removed, with the stated head and the end count edited")
async def _tail_dropped(log: Log) -> list[Expect]:
    items = [b for b in bodies(with_head(await stream_file(log), log.streams[1], 10))
             if b.get("version", 0) <= 10]
    # A limit: checkpoints sign the log, not a stream's head, so a file proves what it
    # holds but not that the stream ended there; `verify --stream` against the log does.
    return [missed(Tool.EVIDENCE, "10 events verified", lines=recounted(items))]


@case("F29", "an event after the file's checkpoint changed (it carries no proof yet)")
async def _after_checkpoint(log: Log) -> list[Expect]:
    await append_events(log.pool, 3, batch=3)
    newest = await log.pool.fetchval("SELECT stream_id FROM events ORDER BY position DESC LIMIT 1")
    lines = await export(log.dsn, stream_id=newest)
    lines = edit(lines, _first_event(lines), {"payload": {"n": 9000}})
    # A limit the README states: events after the checkpoint are not verified, and the
    # report says how many (compare "N events verified" with the file's event count).
    return [missed(Tool.EVIDENCE, "3 event(s) after the checkpoint not yet proven", lines=lines)]


@case("F30", "an event line removed from a fund's export (end count adjusted)")
async def _fund_line(log: Log) -> list[Expect]:
    # A fund's export is its stream whole, labelled with the fund (``api.export``); stream
    # B stands in for the fund.
    fund = log.streams[1]
    lines = await export(log.dsn, streams=[fund], label={"fund": str(fund)})
    return [Expect(Tool.EVIDENCE, log.at(1, 6), f"version 5 of stream {fund} is missing before "
                   f"position {log.at(1, 6)}", lines=without(lines, log.at(1, 5)))]


@case("F31", "the header's claim narrowed (a stream's file made a list of positions) and an "
      "event line removed to match")
async def _claim_narrowed(log: Log) -> list[Expect]:
    kept = without(await stream_file(log), log.at(1, 5))
    listed = [b["position"] for b in bodies(kept) if b["type"] == "event"]
    lines = with_selection(kept, {"rule": "positions", "positions": listed})
    return [
        # The header is not signed: alone, the file proves what it now claims, and says so.
        missed(Tool.EVIDENCE, "complete: the file holds the 11 listed positions", lines=lines),
        # --export FILE --stream <id>: the auditor says what the file must hold.
        Expect(Tool.EVIDENCE, None, f"the file does not claim to hold stream {log.streams[1]} "
               "whole", lines=lines, stream=log.streams[1]),
    ]


def _older_checkpoint_line(lines: Sequence[str], change: dict[str, Any]) -> list[str]:
    items = bodies(lines)
    first = min(i for i, b in enumerate(items) if b["type"] == "checkpoint")
    items[first] = {**items[first], "checkpoint": {**items[first]["checkpoint"], **change}}
    return dumped(items)


def _consistency_changed(lines: Sequence[str]) -> list[str]:
    items = bodies(lines)
    last = max(i for i, b in enumerate(items) if b["type"] == "checkpoint")
    proof = items[last]["consistency"]
    items[last]["consistency"] = {**proof, "path": [hashlib.sha256(b"x").hexdigest(),
                                                    *proof["path"][1:]]}
    return dumped(items)


@case("F32", "an older checkpoint line, or the consistency proof between two, changed")
async def _chain_in_file(log: Log) -> list[Expect]:
    lines = await stream_file(log)  # stream B: sealed by #1, proved into #2
    first, second = log.checkpoints
    assert [b["checkpoint"]["id"] for b in bodies(lines) if b["type"] == "checkpoint"] == [
        first.id, second.id]
    return [
        Expect(Tool.EVIDENCE, None, f"checkpoint #{first.id} (tree size 24) {UNSIGNED}",
               lines=_older_checkpoint_line(lines, {"rootHash": hashlib.sha256(b"x").hexdigest()})),
        Expect(Tool.EVIDENCE, None, f"checkpoint #{second.id} (tree size 36) is not consistent "
               f"with checkpoint #{first.id} (tree size 24)", lines=_consistency_changed(lines)),
    ]


def _first_event(lines: Sequence[str]) -> int:
    return int(next(b["position"] for b in bodies(lines) if b["type"] == "event"))


# -- the checks, once every case is registered -----------------------------------------


async def witness_report(log: Log) -> VerifyReport:
    """``verify --witness DIR``'s finding for the log's directory witness, as a report."""
    witness = directory(log)
    conn = await connect(log.dsn)
    try:
        found = await check_witness(conn, witness.name, await witness.read(), KEY.public_key())
    finally:
        await conn.close()
    report = VerifyReport()
    if found.problems:
        report.fail(None, " | ".join(found.problems))
        report.problems = len(found.problems)
    report.notes.extend([found.summary(), *found.notes])
    return report


async def check(log: Log, e: Expect) -> VerifyReport:
    public = KEY.public_key() if e.pinned else None
    keys = installed() if e.keys else None
    if e.tool is Tool.LOG:
        return await verify_log(log.dsn, public, workers=1, append_keys=keys)
    if e.tool is Tool.EVIDENCE:
        return verify_evidence(e.lines, public, expect_streams=[e.stream] if e.stream else ())
    if e.tool is Tool.WITNESS:
        return await witness_report(log)
    assert e.stream is not None
    conn = await connect(log.dsn)
    try:
        return await verify_stream(conn, e.stream, public, append_keys=keys)
    finally:
        await conn.close()


@pytest.mark.parametrize("c", [c for c in CASES if c.tamper], ids=lambda c: c.id)
async def test_each_modification_is_detected_by_the_tool_the_table_names(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path, c: Case
) -> None:
    log = await small_log(dsn, pool, tmp_path / "witness")
    assert c.tamper is not None
    expects = await c.tamper(log)
    assert expects, f"{c.id} asserts nothing"
    for e in expects:
        report = await check(log, e)
        what = f"{c.id} {e.tool}: {report.summary()}"
        if e.detected:
            assert not report.ok, what
            if e.position is not ANYWHERE:
                assert report.first_position == e.position, what
            assert all(f in (report.problem or "") for f in fragments(e.says)), what
        else:
            assert report.ok, what
            text = report.summary() + " ".join(report.notes)
            assert all(f in text for f in fragments(e.says)), what


# -- the README table and the catalogue agree -------------------------------------------

TABLE_HEADER = re.compile(r"^\|\s*#\s*\|\s*modification\s*\|\s*detected by\s*\|\s*test\s*\|\s*$")


def readme_table(text: str) -> dict[str, list[str]]:
    """The rows of the tamper table in the README's Tamper evidence section, by id."""
    section = text.split("#### Tamper evidence", 1)[-1].split("\n### ", 1)[0]
    lines = section.splitlines()
    start = next((i for i, ln in enumerate(lines) if TABLE_HEADER.match(ln)), None)
    assert start is not None, (
        "README.md's Tamper evidence section has no table headed "
        "'| # | modification | detected by | test |'"
    )
    rows: dict[str, list[str]] = {}
    for ln in lines[start + 2:]:
        if not ln.startswith("|"):
            break
        cells = [c.strip() for c in ln.strip().strip("|").split("|")]
        assert len(cells) == 4, f"a row of the tamper table needs 4 cells: {ln}"
        assert cells[0] not in rows, f"row {cells[0]} is in the tamper table twice"
        rows[cells[0]] = cells
    return rows


def test_the_readme_table_lists_exactly_the_catalogue() -> None:
    rows = readme_table((ROOT / "README.md").read_text(encoding="utf-8"))
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "a case id is used twice"
    assert set(rows) == set(ids), (
        f"only in the README: {sorted(set(rows) - set(ids))}; "
        f"only in the catalogue: {sorted(set(ids) - set(rows))}"
    )
    for c in CASES:
        modification, detected_by, test = rows[c.id][1:]
        named = c.covered_by.split("::")[1] if c.covered_by else Path(HERE).name
        assert named in test, f"row {c.id}'s test column should name {named}: {test}"
        assert detected_by and "pending" not in (detected_by + test).lower(), (
            f"row {c.id} must say what detects it (or the limit): {detected_by}"
        )
        assert modification == c.modification, (
            f"row {c.id}'s modification differs from the case's: {modification!r} != "
            f"{c.modification!r}"
        )


def test_the_tests_the_catalogue_refers_to_exist() -> None:
    for c in CASES:
        if c.covered_by is None:
            continue
        path, name = c.covered_by.split("::")
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.AsyncFunctionDef | ast.FunctionDef)}
        assert name in names, f"{c.id} refers to {c.covered_by}, which does not exist"


def test_the_catalogue_has_the_fault_tests_breadth() -> None:
    database = [c.id for c in CASES if c.id.startswith("D")]
    files = [c.id for c in CASES if c.id.startswith("F")]
    assert (len(database) >= 27, len(files) >= 11) == (True, True), (len(database), len(files))
