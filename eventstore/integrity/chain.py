"""Chains of signed checkpoints, each proved consistent with the one before (RFC 9162).

A checkpoint signs one tree head; alone it says nothing about the heads signed before
it. A chain ``c0, c1, ..., cn`` (in signing order) with, for each ``ci`` after the first,
the RFC 9162 consistency proof from ``c(i-1)``'s tree size to ``ci``'s proves that every
later tree extends every earlier one: a history rewritten between two checkpoints (an
event and its leaf and the nodes above it rewritten consistently, which changes every
later root) makes the proof into the first checkpoint after the change fail, and that
pair names where it happened, even when the attacker re-signs nothing and the latest
checkpoint alone would show only that "some proof no longer verifies".

``check_chain`` is pure (used offline by ``verify_evidence``); ``chain_proofs`` builds
the proofs from the stored tree in one query (used by ``verify_stream`` and
``write_evidence``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from eventstore.integrity import merkle
from eventstore.integrity import store as idb
from eventstore.integrity.encoding import Checkpoint, key_id, raw_public_key


class Report(Protocol):
    """What ``check_chain`` reports into (``VerifyReport`` has this shape)."""

    def fail(self, position: int | None, problem: str) -> None: ...


def name(cp: Checkpoint) -> str:
    """How a report names a checkpoint: its id and the tree size it signs."""
    return f"checkpoint #{cp.id} (tree size {cp.tree_size})" if cp.id is not None else (
        f"checkpoint (tree size {cp.tree_size})"
    )


@dataclass(frozen=True)
class Link:
    """One checkpoint of a chain and the consistency proof that ties it to the previous one.

    ``from_size`` is the tree size the proof starts from (the previous link's, if nothing
    was removed); ``proof`` is None for the first link, or when no proof could be made;
    ``lacking`` lists the stored hashes the proof needed that are gone (in the database).
    """

    checkpoint: Checkpoint
    from_size: int | None = None
    proof: list[bytes] | None = None
    lacking: tuple[merkle.NodeKey, ...] = ()


def check_chain(
    links: Sequence[Link], public: Ed25519PublicKey | None, report: Report
) -> int:
    """Check every signature and every consecutive proof; return how many links hold.

    Each failure names the checkpoint (id, tree size), and for a proof also the one
    before it and the leaves between them, where the history was rewritten.
    """
    trusted = key_id(raw_public_key(public)) if public is not None else None
    ok = 0
    prev: Checkpoint | None = None
    for link in links:
        cp, good = link.checkpoint, True
        if public is not None and not cp.signed_by(public):
            good = False
            report.fail(None, f"{name(cp)} is not signed by the trusted key {trusted}: "
                              "its tree size, root or signature was changed")
        if prev is None:
            if link.from_size is not None or link.proof:
                good = False
                report.fail(None, f"{name(cp)} carries a consistency proof from tree size "
                                  f"{link.from_size} but no checkpoint comes before it: "
                                  "the checkpoint it extends was removed")
        elif cp.tree_size < prev.tree_size:
            good = False
            report.fail(None, f"{name(cp)} signs a smaller tree than {name(prev)}, signed "
                              "before it: a tree size was changed")
        elif link.lacking:
            good = False
            absent = ", ".join(f"level {lv} index {i}" for lv, i in link.lacking[:3])
            report.fail(None, f"{name(cp)} cannot be proved consistent with {name(prev)}: "
                              f"the stored hashes its proof needs are gone ({absent}"
                              f"{', ...' if len(link.lacking) > 3 else ''}): tree nodes "
                              "were deleted")
        elif link.from_size != prev.tree_size or link.proof is None:
            good = False
            report.fail(None, f"{name(cp)} is proved consistent from tree size "
                              f"{link.from_size}, not from {name(prev)} before it: a "
                              "checkpoint was removed from the chain")
        elif not merkle.verify_consistency(
            prev.tree_size, cp.tree_size, prev.root_hash, cp.root_hash, link.proof
        ):
            good = False
            # Not placed at a position: every inclusion proof through the rewritten nodes
            # fails too, at lower positions, and would hide which checkpoints disagree.
            report.fail(
                None,
                f"{name(cp)} is not consistent with {name(prev)}: the log between leaves "
                f"{prev.tree_size} and {cp.tree_size - 1} (positions after "
                f"{prev.last_position} up to {cp.last_position}) was rewritten, or one of "
                "the two checkpoints (or the proof) was changed",
            )
        ok += 1 if good else 0
        prev = cp
    return ok


async def chain_proofs(conn: asyncpg.Connection, chain: Sequence[Checkpoint]) -> list[Link]:
    """The chain as links with proofs from the stored tree, fetched in one query.

    A pair whose sizes go backwards gets no proof (``check_chain`` names it); a pair
    whose proof needs deleted nodes gets none either, and lists them in ``lacking``.
    """
    wanted: dict[int, list[list[merkle.NodeKey]]] = {}
    for i in range(1, len(chain)):
        old, new = chain[i - 1].tree_size, chain[i].tree_size
        if 0 <= old <= new:
            wanted[i] = merkle.consistency_keys(old, new)
    keys = sorted({k for groups in wanted.values() for g in groups for k in g})
    nodes = await idb.stored_nodes(conn, keys)
    links = [Link(chain[0])] if chain else []
    for i in range(1, len(chain)):
        groups = wanted.get(i)
        absent = tuple(k for g in groups or [] for k in g if k not in nodes)
        proof = (
            merkle.resolve(groups, nodes.__getitem__) if groups is not None and not absent
            else None
        )
        links.append(Link(chain[i], chain[i - 1].tree_size, proof, absent))
    return links
