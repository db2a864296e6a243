"""``grassroots verify --witness``: the database's checkpoints against a witness's copies.

What the database alone cannot show, a witness's copy (``eventstore.integrity.witness``)
does. Every copy must be signed by the trusted public key (a copy that is not was forged
or comes from another log: a finding, and not used). Then, for each witnessed checkpoint,
named by its id, tree size and signing time:

- **deleted**: the database has no checkpoint with its id (or its signature);
- **rolled back**: it is newer (larger tree) than the database's latest checkpoint, or
  than the database's tree itself;
- **differs**: the database's checkpoint of that id has another tree size, root,
  position, time or signature (it was rewritten);
- **inconsistent history**: the database's latest checkpoint must extend it, proven by an
  RFC 9162 consistency proof from the witnessed size to the latest's, built from the
  stored tree nodes and checked against the two *signed* roots (a stored node cannot be
  forged into a valid proof). One witnessed beyond the latest checkpoint is compared with
  the stored tree's root at its size instead.

Whether the database's checkpoints match its events is whole-log ``verify``'s part; run
together (as the CLI does), a witnessed checkpoint proves the events it covers even when
its row was deleted. The database's checkpoints the witness does not hold yet are
reported as lag, not as a fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from eventstore.integrity import merkle
from eventstore.integrity import store as idb
from eventstore.integrity.encoding import Checkpoint, key_id, raw_public_key, timestamp_text
from eventstore.integrity.witness import Copy

_COMPARED = (("tree_size", "tree size"), ("root_hash", "root"), ("last_position", "last position"),
             ("signed_at", "signing time"), ("key_id", "key id"), ("signature", "signature"))
_PROOFS_PER_QUERY = 500


def describe(cp: Checkpoint) -> str:
    """A checkpoint as reports name it: id, tree size, signing time."""
    return f"checkpoint #{cp.id} (tree size {cp.tree_size}, signed at {timestamp_text(cp.signed_at)})"


@dataclass
class WitnessReport:
    """The outcome for one witness; ``ok`` only if no copy contradicts the database."""

    witness: str
    copies: int = 0
    witnessed: int = 0
    """Distinct checkpoints with a valid signature among the copies."""
    matched: int = 0
    consistent: int = 0
    latest_size: int | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            proven = (f", the database's latest (tree size {self.latest_size}) extends all of them"
                      if self.latest_size is not None and self.witnessed else "")
            return (f"witness {self.witness}: clean: {self.witnessed} witnessed checkpoint(s),"
                    f" {self.matched} equal to the database's{proven}")
        return (f"witness {self.witness}: {self.problems[0]} ({len(self.problems)} problem(s) found)")


def _distinct(copies: list[Checkpoint]) -> list[Checkpoint]:
    seen: dict[tuple[object, ...], Checkpoint] = {}
    for cp in copies:
        seen.setdefault((cp.id, cp.tree_size, cp.root_hash, cp.last_position, cp.signed_at,
                         cp.key_id, cp.signature), cp)
    return sorted(seen.values(), key=lambda c: (c.tree_size, c.id or 0))


async def check_witness(conn: asyncpg.Connection, name: str, copies: list[Copy],
                        public: Ed25519PublicKey) -> WitnessReport:
    """Compare ``copies`` (read from witness ``name``) with the database (module docstring)."""
    report = WitnessReport(name, copies=len(copies))
    trusted = key_id(raw_public_key(public))
    valid: list[Checkpoint] = []
    for c in copies:
        if c.checkpoint is None:
            report.problems.append(f"copy {c.source} is unreadable ({c.error}): the witness was tampered with")
        elif not c.checkpoint.signed_by(public):
            report.problems.append(
                f"copy {c.source}, {describe(c.checkpoint)}, is not signed by the trusted key"
                f" {trusted}: forged, or from another log")
        else:
            valid.append(c.checkpoint)
    witnessed = _distinct(valid)
    report.witnessed = len(witnessed)
    ours = await idb.checkpoints(conn)
    by_id = {cp.id: cp for cp in ours}
    by_signature = {cp.signature: cp for cp in ours}
    signed = [cp for cp in ours if cp.signed_by(public)]
    latest = max(signed, key=lambda c: (c.tree_size, c.id or 0), default=None)
    report.latest_size = latest.tree_size if latest else None
    _, hashed = await idb.tree_state(conn)
    for w in witnessed:
        db = by_id.get(w.id)
        if db is None and w.signature in by_signature:
            db = by_signature[w.signature]
            report.notes.append(f"witnessed {describe(w)} is in the database as #{db.id}")
        if db is None:
            newest = (f"the database's latest checkpoint is #{latest.id} of tree size {latest.tree_size}"
                      if latest else "the database has no checkpoint at all")
            rolled = latest is None or w.tree_size > latest.tree_size
            report.problems.append(
                f"{describe(w)} is on the witness but not in the database: it was deleted"
                + (f", and {newest}: the log was rolled back" if rolled else ""))
            continue
        differs = [label for attr, label in _COMPARED if getattr(w, attr) != getattr(db, attr)]
        if differs:
            report.problems.append(
                f"{describe(w)} on the witness differs from the database's checkpoint #{db.id} in its"
                f" {', '.join(differs)} (the database's: tree size {db.tree_size}, signed at"
                f" {timestamp_text(db.signed_at)}): the database's checkpoint was rewritten")
        else:
            report.matched += 1
    await _consistency(conn, report, witnessed, latest, hashed)
    ahead = [cp for cp in ours if cp.id is not None and cp.id > max((w.id or 0 for w in witnessed), default=0)]
    if ahead:
        report.notes.append(f"{len(ahead)} newer checkpoint(s) of the database are not on the witness yet")
    return report


async def _consistency(conn: asyncpg.Connection, report: WitnessReport, witnessed: list[Checkpoint],
                       latest: Checkpoint | None, hashed: int) -> None:
    """Prove the database's latest checkpoint extends every witnessed tree (module docstring)."""
    below = [w for w in witnessed if latest is not None and w.tree_size <= latest.tree_size]
    for w in witnessed:
        if latest is not None and w.tree_size <= latest.tree_size:
            continue
        if w.tree_size > hashed:
            report.problems.append(
                f"the database's tree holds {hashed} leaves, fewer than witnessed {describe(w)}:"
                " hashed events were removed (the log was rolled back)")
            continue
        try:
            root = await idb.root_at(conn, w.tree_size)
        except idb.MissingNodes as exc:
            report.problems.append(f"the stored tree at {describe(w)}'s size is incomplete ({exc})")
            continue
        if root != w.root_hash:
            report.problems.append(
                f"the database's tree at size {w.tree_size} no longer has the root witnessed by"
                f" {describe(w)}: events up to that size were rewritten")
        else:
            report.consistent += 1
    if latest is None:
        return
    sizes = sorted({w.tree_size for w in below})
    for start in range(0, len(sizes), _PROOFS_PER_QUERY):
        group = sizes[start:start + _PROOFS_PER_QUERY]
        keys = {s: merkle.consistency_keys(s, latest.tree_size) for s in group}
        nodes = await idb.stored_nodes(conn, sorted({k for g in keys.values() for ks in g for k in ks}))
        for w in (w for w in below if w.tree_size in keys):
            absent = [k for g in keys[w.tree_size] for k in g if k not in nodes]
            if absent:
                report.problems.append(
                    f"the consistency of {describe(w)} with the database's latest {describe(latest)}"
                    f" cannot be proven: stored tree nodes were deleted (level {absent[0][0]} index"
                    f" {absent[0][1]}{', ...' if len(absent) > 1 else ''})")
                continue
            proof = merkle.resolve(keys[w.tree_size], nodes.__getitem__)
            if merkle.verify_consistency(w.tree_size, latest.tree_size, w.root_hash, latest.root_hash, proof):
                report.consistent += 1
            else:
                report.problems.append(
                    f"the database's history is not consistent with witnessed {describe(w)}: its"
                    f" latest {describe(latest)} does not extend the witnessed tree, so events up to"
                    f" tree size {w.tree_size} were rewritten")
