"""``grassroots verify``: check the log in PostgreSQL against the signed checkpoints.

Whole log (``verify_log``): the hashed part of the log is cut into chunks of leaves;
for each, the leaf hashes are recomputed from the events (in PostgreSQL with
``LEAF_SQL``, several chunks at once on separate connections, or in Python with the
independent canonicaliser: ``engine="python"``) and compared with the recorded leaves,
position by position; the recomputed tree's root at every checkpoint's size must equal
the root the checkpoint signs, and every signature must verify with the trusted public
key (never with the key a row claims). The first difference is named by position:

- content changed: the event no longer hashes to its recorded leaf;
- an event is missing (deleted) or one is there that was never hashed (inserted);
- leaves and events rewritten consistently: the first checkpoint whose root no longer
  matches bounds the change to the events between it and the checkpoint before.

With the application's append keys (``append_keys``), every row's append authenticator
is checked too, sealed or not (``eventstore.integrity.verify_authenticators``): a row the
application did not append as it stands is named by position, and the events sealed
before authenticators began are counted as legacy events.

One stream (``verify_stream``): each event is recomputed in Python and checked against
the latest checkpoint through its inclusion proof, O(log n) stored nodes per event,
and the stream's versions must run 1..n up to its recorded head. Every stored
checkpoint is checked too, in signing order: its signature, and the RFC 9162
consistency proof (from the stored tree) from the checkpoint before it
(``eventstore.integrity.chain``), O(log n) nodes per checkpoint, all in one query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from eventstore.integrity import merkle
from eventstore.integrity import store as idb
from eventstore.integrity.authenticators import AppendKeys
from eventstore.integrity.chain import chain_proofs, check_chain
from eventstore.integrity.encoding import (
    Checkpoint,
    EncodingError,
    event_leaf,
    key_id,
    parse_json,
    raw_public_key,
)
from eventstore.integrity.verify_authenticators import (
    Authenticator,
    AuthenticatorCheck,
    python_authenticator,
    sql_authenticators,
)

CHUNK_LEVEL = 14
H = merkle.HASH_SIZE


@dataclass
class VerifyReport:
    """The outcome of a verification; ``ok`` only if nothing differs."""

    events: int = 0
    tree_size: int = 0
    checkpoints: int = 0
    checkpoints_ok: int = 0
    first_position: int | None = None
    problem: str | None = None
    problems: int = 0
    unchecked: int = 0
    key_id: str | None = None
    notes: list[str] = field(default_factory=list)
    authenticated: int | None = None
    """Events whose append authenticator verified; None: not checked (no append key)."""
    legacy: int = 0
    """Events sealed before authenticators began (migration 0012), which carry none."""
    legacy_position: int = 0
    legacy_unsealed: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None

    def fail(self, position: int | None, problem: str) -> None:
        """Count a problem; the one kept is the first reported, or the lowest position."""
        self.problems += 1
        lower = (
            position is not None
            and self.first_position is not None
            and position < self.first_position
        )
        if self.problem is None or lower:
            self.first_position, self.problem = position, problem

    def summary(self) -> str:
        if self.ok:
            return (
                f"clean: {self.events} events verified (tree size {self.tree_size}), "
                f"{self.checkpoints_ok} of {self.checkpoints} checkpoints match, "
                + (
                    "no signature checked (no checkpoint yet)"
                    if not self.checkpoints
                    else f"signed by key {self.key_id}"
                    if self.key_id
                    else "signatures NOT checked (no public key)"
                )
                + (
                    f"; {self.unchecked} event(s) after the checkpoint not yet proven"
                    if self.unchecked
                    else ""
                )
                + self._authenticators()
            )
        where = (
            f"first mismatch at position {self.first_position}"
            if self.first_position is not None
            else "mismatch"
        )
        return f"{where}: {self.problem} ({self.problems} problem(s) found)"

    def _authenticators(self) -> str:
        if self.authenticated is None:
            return ""
        legacy = (
            f", {self.legacy} legacy event(s) without (appended before authenticators began,"
            f" up to position {self.legacy_position}"
            + (f"; {self.legacy_unsealed} of them not yet sealed at the upgrade" if self.legacy_unsealed else "")
            + ")"
            if self.legacy
            else ""
        )
        return f"; {self.authenticated} append authenticator(s) verified{legacy}"


def _python_row(r: asyncpg.Record) -> dict[str, Any]:
    row = dict(r)
    row["payload"] = parse_json(row.pop("payload_text"))
    return row


def python_leaf(r: asyncpg.Record) -> bytes | None:
    """The leaf of a row from ``canonical_rows``, recomputed outside the database."""
    try:
        return event_leaf(_python_row(r))
    except EncodingError:
        return None


@dataclass
class _Chunk:
    index: int
    leaf_positions: list[int]
    leaf_hashes: bytes
    leaf_indexes_ok: bool
    positions: list[int]
    hashes: bytes
    nodes: dict[merkle.NodeKey, bytes] = field(default_factory=dict)
    auths: list[Authenticator] = field(default_factory=list)  # per row, if authenticating


async def _load_chunk(
    pool: asyncpg.Pool,
    k: int,
    lo: int,
    hi: int,
    size: int,
    engine: str,
    chunk: int,
    authenticate: bool = False,
) -> _Chunk:
    first, last = k * chunk, min((k + 1) * chunk, size)
    async with pool.acquire() as conn:
        leaves = await conn.fetchrow(
            "SELECT array_agg(position ORDER BY leaf_index) AS p,"
            " string_agg(hash, ''::bytea ORDER BY leaf_index) AS h, count(*) AS n,"
            " min(leaf_index) AS lo FROM event_leaves WHERE leaf_index >= $1 AND leaf_index < $2",
            first,
            last,
        )
        stored = await conn.fetch(
            "SELECT level, idx, hash FROM merkle_nodes WHERE level <= $3"
            " AND idx >= ($1::bigint >> level) AND idx < ($2::bigint >> level)",
            first,
            last,
            chunk.bit_length() - 1,
        )
        auths: list[Authenticator] = []
        if engine == "sql":
            # With append keys, the digests their authenticators cover come along.
            outer, inner = (
                (
                    ", array_agg(d ORDER BY position) AS d, array_agg(k ORDER BY position) AS k,"
                    " array_agg(m ORDER BY position) AS m",
                    f", {idb.APPEND_DIGEST_SQL} AS d, e.append_key_id AS k, e.append_mac AS m",
                )
                if authenticate
                else ("", "")
            )
            ev = await conn.fetchrow(
                "SELECT array_agg(position ORDER BY position) AS p,"
                f" string_agg(h, ''::bytea ORDER BY position) AS h{outer}"
                f" FROM (SELECT e.position, {idb.LEAF_SQL} AS h{inner} FROM events e"
                " WHERE e.position >= $1 AND e.position < $2) x",
                lo,
                hi,
            )
            positions, hashes = list(ev["p"] or []), bytes(ev["h"] or b"")
            if authenticate:
                auths = sql_authenticators(ev)
        else:
            rows = await idb.canonical_rows(conn, "e.position >= $1 AND e.position < $2", lo, hi)
            positions = [r["position"] for r in rows]
            hashes = b"".join(python_leaf(r) or b"\xff" * H for r in rows)
            if authenticate:
                auths = [python_authenticator(r) for r in rows]
    return _Chunk(
        k,
        list(leaves["p"] or []),
        bytes(leaves["h"] or b""),
        leaves["n"] == last - first and (leaves["lo"] == first or first == last),
        positions,
        hashes,
        {(r["level"], r["idx"]): bytes(r["hash"]) for r in stored},
        auths,
    )


def _node_problem(level: int, idx: int, positions: list[int], first_leaf: int, found: bool) -> str:
    lo, hi = idx << level, ((idx + 1) << level) - 1
    span = (
        f"positions {positions[lo - first_leaf]}..{positions[hi - first_leaf]}"
        if first_leaf <= lo and hi - first_leaf < len(positions)
        else f"leaves {lo}..{hi}"
    )
    what = (
        "does not match the tree rebuilt from the recorded leaves: it (or a recorded "
        "leaf under it) was changed"
        if found
        else "is missing: it was deleted"
    )
    return (
        f"stored Merkle node level {level} index {idx} (leaves {lo}..{hi}, {span}) {what}; "
        "proofs through it (eventProof, evidence files) no longer verify"
    )


def _check_chunk_nodes(
    c: _Chunk, first_leaf: int, chunk_level: int
) -> tuple[int | None, str] | None:
    """The first stored node inside the chunk that differs from the one rebuilt from the
    chunk's recorded leaves (lowest level first), as (position, problem)."""
    n = len(c.leaf_positions)
    if not c.leaf_indexes_ok or len(c.leaf_hashes) != n * H:
        return None  # the leaves themselves are reported; nodes over them cannot be rebuilt
    levels = merkle.chunk_levels(c.leaf_hashes)
    for level in range(1, min(chunk_level, len(levels) - 1) + 1):
        row = levels[level]
        base = first_leaf >> level
        for i in range(len(row) // H):
            stored = c.nodes.get((level, base + i))
            if stored != row[i * H : (i + 1) * H]:
                return (
                    c.leaf_positions[i << level],
                    _node_problem(level, base + i, c.leaf_positions, first_leaf, stored is not None),
                )
    return None


def _differences(c: _Chunk, report: VerifyReport, first_leaf: int) -> None:
    """Report changed events (all of them) or the first missing or inserted one."""
    lp, ep = c.leaf_positions, c.positions
    if lp == ep and c.leaf_hashes == c.hashes and c.leaf_indexes_ok:
        return
    for i in range(max(len(lp), len(ep))):
        a = lp[i] if i < len(lp) else None
        b = ep[i] if i < len(ep) else None
        if a == b and c.leaf_hashes[i * H : (i + 1) * H] == c.hashes[i * H : (i + 1) * H]:
            continue
        if a == b:
            report.fail(
                a,
                f"event at position {a} (leaf {first_leaf + i}) does not match its "
                "recorded hash: its stored content was changed",
            )
            continue
        if b is None or (a is not None and a < b):
            report.fail(
                a,
                f"event at position {a} (leaf {first_leaf + i}) is missing from the "
                "log: it was deleted or moved",
            )
        else:
            report.fail(
                b,
                f"event at position {b} was never hashed but sits inside the hashed "
                "log: it was inserted (or moved) after hashing"
                + (
                    ", at a position the append function never assigns (positions start at 1)"
                    if b < 1
                    else ""
                ),
            )
        return
    if not c.leaf_indexes_ok:
        report.fail(lp[0] if lp else None, f"recorded leaves {first_leaf}.. are not contiguous")


class _Tree:
    """Roots of the recomputed tree at any size, chunk by chunk, in O(chunk) memory."""

    def __init__(self) -> None:
        self.before: list[bytes] = []  # peaks of the full chunks so far (one per chunk level)
        self.sizes: list[int] = []

    def root_within(self, levels: list[bytes], r: int) -> bytes:
        peaks = [levels[lv][i * H : (i + 1) * H] for lv, i in merkle.range_keys(0, r)]
        return merkle.fold(self.before + peaks)

    def push_chunk(self, root: bytes) -> list[tuple[int, bytes]]:
        """Add a full chunk's root; return the (levels above the chunk, hash) it completes."""
        # Full chunks are complete subtrees of equal size: merge like a binary counter.
        h, level = root, 0
        made: list[tuple[int, bytes]] = []
        while self.sizes and self.sizes[-1] == level:
            h = merkle.node_hash(self.before.pop(), h)
            self.sizes.pop()
            level += 1
            made.append((level, h))
        self.before.append(h)
        self.sizes.append(level)
        return made


async def verify_log(
    dsn: str,
    public: Ed25519PublicKey | None,
    *,
    workers: int = 2,
    engine: str = "sql",
    chunk_level: int = CHUNK_LEVEL,
    progress: Callable[[int, int], None] | None = None,
    append_keys: AppendKeys | None = None,
) -> VerifyReport:
    """Verify the whole hashed log and every checkpoint (see the module docstring).

    ``workers`` connections recompute chunks of ``2**chunk_level`` leaves at once. With
    ``append_keys``, every row's append authenticator is checked too, the unsealed ones
    included (``eventstore.integrity.verify_authenticators``).
    """
    report = VerifyReport()
    chunk = 1 << chunk_level
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=max(1, workers))
    assert pool is not None
    try:
        async with pool.acquire() as conn:
            hashed_position, size = await idb.tree_state(conn)
            cps = sorted(await idb.checkpoints(conn), key=lambda c: (c.tree_size, c.id or 0))
            bounds = await conn.fetch(
                "SELECT leaf_index, position FROM event_leaves"
                " WHERE leaf_index = ANY($1::bigint[])",
                list(range(chunk, size, chunk)),
            )
            # What is there, not a range assumed: every row of ``events`` is walked, also
            # any at a position the append function never assigns (<= 0).
            present = await conn.fetchrow(
                "SELECT count(*) AS n, min(position) AS lo,"
                " count(*) FILTER (WHERE position > $1) AS newer FROM events",
                hashed_position,
            )
            report.unchecked = present["newer"]
            auth = (
                None
                if append_keys is None
                else AuthenticatorCheck(append_keys, await idb.legacy_boundary(conn), hashed_position)
            )
        report.tree_size = size
        if auth is None:
            report.notes.append("no append key given: append authenticators were not checked")
        else:
            auth.start(report)
        _check_signatures(cps, public, report, size)
        starts = {r["leaf_index"] // chunk: r["position"] for r in bounds}
        chunks = -(-size // chunk)
        if len(starts) != max(chunks - 1, 0):
            missing = next(k for k in range(1, chunks) if k not in starts)
            report.fail(None, f"recorded leaf {missing * chunk} is missing")
            return report
        low = min(1, present["lo"] if present["lo"] is not None else 1)
        edges = [low, *[starts[k] for k in range(1, chunks)], hashed_position + 1]
        await _walk(pool, report, cps, edges, size, workers, engine, chunk_level, progress, auth)
        if auth is not None:
            await auth.unsealed(pool, report)
        if report.ok and report.events + report.unchecked != present["n"]:
            report.fail(
                None,
                f"the log holds {present['n']} events but {report.events} hashed and "
                f"{report.unchecked} newer ones were walked: rows changed during verify",
            )
        if report.unchecked:
            report.notes.append(f"{report.unchecked} newer events are not hashed yet")
    finally:
        await pool.close()
    return report


def _check_signatures(
    cps: list[Checkpoint], public: Ed25519PublicKey | None, report: VerifyReport, size: int
) -> None:
    report.checkpoints = len(cps)
    if public is None:
        report.notes.append("no public key given: checkpoint signatures were not checked")
    else:
        report.key_id = key_id(raw_public_key(public))
        for cp in cps:
            if not cp.signed_by(public):
                report.fail(
                    None,
                    f"checkpoint #{cp.id} (tree size {cp.tree_size}) is not signed "
                    f"by the trusted key {report.key_id}",
                )
    for cp in cps:
        if cp.tree_size > size:
            report.fail(
                cp.last_position,
                f"checkpoint #{cp.id} covers {cp.tree_size} events but "
                f"only {size} leaves are recorded: leaves were deleted",
            )
    if not cps:
        report.notes.append(
            "no checkpoint yet: events were checked against the recorded leaves only"
        )


async def _walk(
    pool: asyncpg.Pool,
    report: VerifyReport,
    cps: list[Checkpoint],
    edges: list[int],
    size: int,
    workers: int,
    engine: str,
    chunk_level: int,
    progress: Callable[[int, int], None] | None,
    auth: AuthenticatorCheck | None = None,
) -> None:
    chunk = 1 << chunk_level
    tree = _Tree()
    for cp in cps:
        if cp.tree_size == 0 and cp.root_hash == merkle.EMPTY_ROOT:
            report.checkpoints_ok += 1
        elif cp.tree_size == 0:
            report.fail(None, f"checkpoint #{cp.id} signs a wrong root for the empty log")
    pending = [cp for cp in cps if 0 < cp.tree_size <= size]
    matched_size = 0
    matched_position = 0
    tree_valid = True
    above: dict[merkle.NodeKey, bytes] = {}  # nodes over several chunks
    node_problem: tuple[int | None, str] | None = None  # the first stored node that differs
    chunks = len(edges) - 1
    window = max(2, workers * 2)
    tasks: dict[int, asyncio.Task[_Chunk]] = {}
    try:
        for k in range(chunks):
            for j in range(k, min(k + window, chunks)):
                if j not in tasks:
                    tasks[j] = asyncio.create_task(
                        _load_chunk(
                            pool, j, edges[j], edges[j + 1], size, engine, chunk, auth is not None
                        )
                    )
            c = await tasks.pop(k)
            first_leaf = k * chunk
            before = report.problems
            _differences(c, report, first_leaf)
            if report.problems > before:
                tree_valid = False  # later leaves are misaligned; roots cannot be compared
            if auth is not None:  # a row's authenticator says nothing about the tree's shape
                auth.rows(report, c.positions, c.auths)
            if node_problem is None:
                node_problem = _check_chunk_nodes(c, first_leaf, chunk_level)
            report.events += len(c.positions)
            if tree_valid:
                levels = merkle.chunk_levels(c.hashes)
                while pending and pending[0].tree_size <= first_leaf + len(c.positions):
                    cp = pending.pop(0)
                    if tree.root_within(levels, cp.tree_size - first_leaf) == cp.root_hash:
                        report.checkpoints_ok += 1
                        matched_size, matched_position = cp.tree_size, cp.last_position
                    else:
                        tree_valid = False
                        report.fail(
                            matched_position + 1,
                            f"checkpoint #{cp.id} (tree size {cp.tree_size}) does not "
                            "match the log: an event after position "
                            f"{matched_position} and up to {cp.last_position} (leaves "
                            f"{matched_size}..{cp.tree_size - 1}) was rewritten together "
                            "with its recorded leaf",
                        )
                        break
                if len(c.positions) == chunk:
                    for up, h in tree.push_chunk(levels[chunk_level]):
                        above[(chunk_level + up, k >> up)] = h
            if progress is not None:
                progress(min((k + 1) * chunk, size), size)
    finally:
        for t in tasks.values():
            t.cancel()
    if above and tree_valid and report.ok:
        async with pool.acquire() as conn:
            stored = await idb.stored_nodes(conn, sorted(above))
        for key in sorted(above, key=lambda k: (k[1] << k[0], k[0])):
            if stored.get(key) != above[key]:
                first = await pool.fetchval(
                    "SELECT position FROM event_leaves WHERE leaf_index = $1", key[1] << key[0]
                )
                if node_problem is None or (first or 0) < (node_problem[0] or 0):
                    node_problem = (first, _node_problem(*key, [], -1, key in stored))
                break
    # Reported only when the leaves and checkpoints hold: a rewritten leaf also makes the
    # nodes above it differ, and is localised better by the checkpoints around it.
    if node_problem is not None and tree_valid and report.ok:
        report.fail(*node_problem)
    if pending and tree_valid and report.ok:
        cp = pending[0]
        report.fail(None, f"checkpoint #{cp.id} was not reached by the recorded leaves")


async def verify_stream(
    conn: asyncpg.Connection,
    stream_id: UUID,
    public: Ed25519PublicKey | None,
    *,
    append_keys: AppendKeys | None = None,
) -> VerifyReport:
    """Verify one stream's events against the latest checkpoint by inclusion proofs, and
    every stored checkpoint: its signature, and its RFC 9162 consistency with the one
    signed before it (so an older checkpoint changed, or the history rewritten between
    two of them, is named by checkpoint id and tree size, not only by whole-log verify)."""
    report = VerifyReport()
    cps = sorted(await idb.checkpoints(conn), key=lambda c: c.id or 0)
    if not cps:
        report.fail(None, "there is no checkpoint yet (run `grassroots checkpoint`)")
        return report
    cp = cps[-1]
    _, size = await idb.tree_state(conn)
    report.checkpoints, report.tree_size = len(cps), cp.tree_size
    if public is None:
        report.notes.append("no public key given: checkpoint signatures were not checked")
    else:
        report.key_id = key_id(raw_public_key(public))
    for c in cps:
        if c.tree_size > size:
            report.fail(
                c.last_position,
                f"checkpoint #{c.id} covers {c.tree_size} events but only {size} leaves "
                "are recorded: leaves were deleted (or its tree size was changed)",
            )
    chain_ok = check_chain(await chain_proofs(conn, cps), public, report)
    rows = await idb.canonical_rows(conn, "e.stream_id = $1", stream_id)
    if not rows:
        report.fail(None, f"stream {stream_id} has no events")
        return report
    if append_keys is None:
        report.notes.append("no append key given: append authenticators were not checked")
    else:  # every event of the stream, sealed or not, recomputed here
        auth = await AuthenticatorCheck.load(conn, append_keys)
        auth.start(report)
        auth.rows(report, [r["position"] for r in rows], [python_authenticator(r) for r in rows])
    head = await conn.fetchval("SELECT version FROM streams WHERE stream_id = $1", stream_id)
    for expected, r in enumerate(rows, start=1):
        if r["version"] != expected:
            report.fail(
                r["position"],
                f"version {expected} of the stream is missing before "
                f"position {r['position']}: an event was deleted",
            )
            break
    else:
        if head is None:
            # The head is what shows a deleted newest event; without it, that is unseen.
            report.fail(
                rows[-1]["position"],
                f"stream {stream_id} has no recorded head (its streams row is missing): "
                "its newest events may have been deleted with it",
            )
        elif head != len(rows):
            report.fail(
                rows[-1]["position"],
                f"the stream's head is version {head} but its events end at version {len(rows)}",
            )
    covered = [r for r in rows if r["position"] <= cp.last_position]
    report.unchecked = len(rows) - len(covered)
    leaves = await idb.leaves_at(conn, [r["position"] for r in covered])
    indexes = sorted(
        {
            leaves[r["position"]][0]
            for r in covered
            if r["position"] in leaves and leaves[r["position"]][0] < cp.tree_size
        }
    )
    proofs, lacking = (
        await idb.available_inclusion_proofs(conn, indexes, cp.tree_size) if indexes else ({}, {})
    )
    for r in covered:
        p = r["position"]
        leaf = python_leaf(r)
        if p not in leaves or leaves[p][0] >= cp.tree_size:
            report.fail(
                p,
                f"event at position {p} is not in the checkpointed tree: it was "
                "inserted (or moved) after hashing, or its recorded leaf was deleted",
            )
            continue
        index = leaves[p][0]
        if index in lacking:
            absent = ", ".join(f"level {lv} index {i}" for lv, i in lacking[index][:3])
            report.fail(
                p,
                f"event at position {p} (leaf {index}) lacks the stored hashes that prove it "
                f"into the checkpoint ({absent}{', ...' if len(lacking[index]) > 3 else ''}): "
                "recorded leaves or tree nodes were deleted",
            )
            continue
        if (
            leaf is None
            or merkle.root_from_inclusion(index, cp.tree_size, leaf, proofs[index]) != cp.root_hash
        ):
            what = (
                "does not match its recorded hash: its stored content was changed"
                if leaf != leaves[p][1]
                else "does not prove into the checkpoint's root: the recorded tree was rewritten"
            )
            report.fail(p, f"event at position {p} (leaf {index}) {what}")
            continue
        report.events += 1
    report.checkpoints_ok = chain_ok
    return report
