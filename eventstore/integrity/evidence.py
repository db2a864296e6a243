"""Evidence files: events with their proofs and a signed checkpoint, as JSON lines.

Writing needs PostgreSQL (``write_evidence``); checking needs nothing but the file and,
ideally, the public key obtained some other way (``verify_evidence``, used by
``grassroots verify --export FILE``). Format ``grassroots-evidence/1``, one JSON object
per line, in this order:

1. ``{"type": "evidence", "format": "grassroots-evidence/1", "encoding":
   "grassroots-canonical/1", "tree": "RFC 6962 SHA-256", "complete": bool,
   "selection": {...}, "streamHead": int | null}``. ``complete`` means every event of the
   log up to the checkpoint is in the file, so the verifier rebuilds the whole tree and
   no audit paths are written; ``streamHead`` (for one stream) is its recorded version.
2. ``{"type": "checkpoint", "checkpoint": {...} | null}`` with ``treeSize``, ``rootHash``
   (hex), ``lastPosition``, ``signedAt``, ``keyId``, ``publicKey`` and ``signature``
   (base64), and ``signedText``, the exact UTF-8 text signed with Ed25519.
3. One ``{"type": "event", ...}`` per event, by position: every stored column
   (``position``, ``streamId``, ``streamType``, ``version``, ``eventId``, ``eventType``,
   ``schemaVersion``, ``payload`` (the stored JSON, numbers exactly as stored),
   ``recordedAt`` (ISO-8601 UTC, microseconds), ``actor``, ``actorRoles``,
   ``correlationId``, ``causationId``, ``commandId``, ``reason``) and ``leafIndex``,
   ``leafHash`` (hex) and ``auditPath`` (hex list, RFC 6962 order, leaf upwards), the
   last three null for events the checkpoint does not cover yet.
4. ``{"type": "end", "events": n}``: a file cut short is caught.

The leaf is recomputed from the columns with the canonical encoding documented in
``eventstore/integrity.py``; never taken from ``leafHash``, which only helps to say
*what* differs.

An event line is the stored record, not the readers' event document
(``projections.feed.document``): the payload as stored (not upcast, not masked:
``domain.shared.privacy`` exempts tamper evidence, since a masked record would prove
nothing), the stored ``schemaVersion``, ``recordedAt`` in the canonical UTC form and
``eventType`` for the type, because the verifier re-hashes exactly these values.
"""

from __future__ import annotations

import base64
import bisect
import inspect
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from eventstore.integrity import merkle
from eventstore.integrity import store as idb
from eventstore.integrity.encoding import (
    Checkpoint,
    EncodingError,
    event_leaf,
    key_id,
    load_public_key,
    parse_json,
    raw_public_key,
    timestamp_text,
)
from eventstore.integrity.verify import VerifyReport

FORMAT = "grassroots-evidence/1"
PAGE = 2_000
_FIELDS = {  # JSON name -> column
    "position": "position",
    "streamId": "stream_id",
    "streamType": "stream_type",
    "version": "version",
    "eventId": "event_id",
    "eventType": "event_type",
    "schemaVersion": "schema_version",
    "payload": "payload",
    "recordedAt": "recorded_at",
    "actor": "actor",
    "actorRoles": "actor_roles",
    "correlationId": "correlation_id",
    "causationId": "causation_id",
    "commandId": "command_id",
    "reason": "reason",
}


class EvidenceIncomplete(LookupError):
    """The selection cannot be proved: stored hashes (leaves or tree nodes) it needs are gone."""

    def __init__(self, positions: list[int]) -> None:
        self.positions = positions
        shown = ", ".join(str(p) for p in positions[:10]) + (", ..." if len(positions) > 10 else "")
        super().__init__(
            f"{len(positions)} event(s) lack the stored hashes that prove them into the "
            f"checkpoint (positions {shown}): recorded leaves or tree nodes were deleted"
        )


@dataclass
class EvidenceSummary:
    """What ``write_evidence`` wrote."""

    events: int
    checkpoint: Checkpoint | None
    complete: bool


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def event_line(r: asyncpg.Record, leaf: tuple[int, bytes] | None, path: list[bytes] | None) -> str:
    """One event line; the payload is spliced in as stored, so numbers stay exact."""
    body = {
        "type": "event",
        "position": r["position"],
        "streamId": str(r["stream_id"]),
        "streamType": r["stream_type"],
        "version": r["version"],
        "eventId": str(r["event_id"]),
        "eventType": r["event_type"],
        "schemaVersion": r["schema_version"],
        "recordedAt": timestamp_text(r["recorded_at"]),
        "actor": r["actor"],
        "actorRoles": list(r["actor_roles"]),
        "correlationId": _opt(r["correlation_id"]),
        "causationId": _opt(r["causation_id"]),
        "commandId": r["command_id"],
        "reason": r["reason"],
        "leafIndex": leaf[0] if leaf else None,
        "leafHash": leaf[1].hex() if leaf else None,
        "auditPath": [h.hex() for h in path] if path is not None else None,
    }
    text = json.dumps(body, ensure_ascii=False)
    return f'{text[:-1]}, "payload": {r["payload_text"]}}}\n'


async def write_evidence(
    conn: asyncpg.Connection,
    positions: Sequence[int] | None,
    write: Callable[[str], Awaitable[None] | None],
    *,
    stream_id: UUID | None = None,
    position_range: tuple[int, int] | None = None,
    checkpoint_id: int | None = None,
) -> EvidenceSummary:
    """Stream an evidence file (format in the module docstring) through ``write``.

    Select events by ``positions``, or by ``stream_id``, or by an inclusive
    ``position_range``; with none of them, the whole log. Proofs are against the latest
    checkpoint (or ``checkpoint_id``). ``write`` gets one line at a time, newline
    included, and may be a coroutine function (e.g. an HTTP response's send).
    """
    cp = (
        await idb.checkpoint_by_id(conn, checkpoint_id)
        if checkpoint_id is not None
        else await idb.latest_checkpoint(conn)
    )
    if checkpoint_id is not None and cp is None:
        raise LookupError(f"no checkpoint #{checkpoint_id}")
    complete = positions is None and stream_id is None and position_range is None
    args: list[Any]
    selection: dict[str, Any]
    if positions is not None:
        where, args, selection = (
            "e.position = ANY($1::bigint[])",
            [list(positions)],
            {"positions": len(positions)},
        )
    elif stream_id is not None:
        where, args, selection = "e.stream_id = $1", [stream_id], {"streamId": str(stream_id)}
    elif position_range is not None:
        where, args, selection = (
            "e.position >= $1 AND e.position <= $2",
            list(position_range),
            {"from": position_range[0], "to": position_range[1]},
        )
    else:
        where, args, selection = "true", [], {"all": True}
    head = (
        await conn.fetchval("SELECT version FROM streams WHERE stream_id = $1", stream_id)
        if stream_id is not None
        else None
    )

    async def emit(line: str) -> None:
        result = write(line)
        if inspect.isawaitable(result):
            await result

    await emit(
        json.dumps(
            {
                "type": "evidence",
                "format": FORMAT,
                "encoding": "grassroots-canonical/1",
                "tree": "RFC 6962 SHA-256",
                "complete": complete,
                "selection": selection,
                "streamHead": head,
            }
        )
        + "\n"
    )
    await emit(
        json.dumps({"type": "checkpoint", "checkpoint": cp.to_json() if cp else None}) + "\n"
    )
    count, after = 0, 0
    n = len(args)
    chosen = sorted(set(positions)) if positions is not None else None
    while True:
        if chosen is not None:
            # Send each page only its own slice of the chosen positions: sending the
            # whole list with every page made large selections quadratic.
            start = bisect.bisect_right(chosen, after)
            page_args: list[Any] = [chosen[start:start + PAGE]]
        else:
            page_args = list(args)
        rows = await idb.canonical_rows(
            conn, f"{where} AND e.position > ${n + 1}", *page_args, after, limit=PAGE
        )
        if not rows:
            break
        leaves = await idb.leaves_at(conn, [r["position"] for r in rows])
        covered = {p: v for p, v in leaves.items() if cp is not None and v[0] < cp.tree_size}
        unhashed = [
            r["position"]
            for r in rows
            if cp is not None and r["position"] <= cp.last_position and r["position"] not in leaves
        ]
        proofs: dict[int, list[bytes]] = {}
        lacking: dict[int, list[Any]] = {}
        if cp is not None and not complete and covered:
            proofs, lacking = await idb.available_inclusion_proofs(
                conn, sorted(i for i, _ in covered.values()), cp.tree_size
            )
        if unhashed or lacking:
            raise EvidenceIncomplete(
                sorted(unhashed + [p for p, (i, _) in covered.items() if i in lacking])
            )
        for r in rows:
            leaf = covered.get(r["position"])
            path = proofs.get(leaf[0]) if leaf and not complete else None
            await emit(event_line(r, leaf, path))
            count += 1
        after = rows[-1]["position"]
        if len(rows) < PAGE:
            break
    await emit(json.dumps({"type": "end", "events": count}) + "\n")
    return EvidenceSummary(count, cp, complete)


def _event_columns(line: dict[str, Any]) -> dict[str, Any]:
    return {column: line[name] for name, column in _FIELDS.items()}


def verify_evidence(lines: Iterable[str], public: Ed25519PublicKey | None) -> VerifyReport:
    """Check an evidence file offline; the first event that fails is named by position."""
    report = VerifyReport()
    it = (ln for ln in lines if ln.strip())
    try:
        header = json.loads(next(it))
        cp_line = json.loads(next(it))
    except (StopIteration, ValueError):
        report.fail(None, "not an evidence file (no header and checkpoint lines)")
        return report
    if header.get("type") != "evidence" or header.get("format") != FORMAT:
        report.fail(None, f"not a {FORMAT} file")
        return report
    cp = Checkpoint.from_json(cp_line["checkpoint"]) if cp_line.get("checkpoint") else None
    if cp is None:
        # Leaf hashes in the file are the file's own word: without a signed checkpoint
        # nothing in it is proven, so this is not "clean".
        report.fail(None, "the file carries no signed checkpoint, so nothing in it can be proven; "
                          "record one (grassroots checkpoint) before exporting")
        return report
    else:
        report.checkpoints, report.tree_size = 1, cp.tree_size
        if public is None:
            public = load_public_key(base64.b64encode(cp.public_key))
            report.notes.append("trusting the public key inside the file; pin it with --public-key")
        report.key_id = key_id(raw_public_key(public))
        if not cp.signed_by(public):
            report.fail(None, f"the checkpoint is not signed by key {report.key_id}")
    _check_events(it, header, cp, report)
    if report.ok and cp is not None:
        report.checkpoints_ok = 1
    return report


def _check_events(
    it: Iterable[str], header: dict[str, Any], cp: Checkpoint | None, report: VerifyReport
) -> None:
    complete = bool(header.get("complete"))
    tree = merkle.CompactRange()
    seen, last_position, version = 0, 0, 0
    ended = False
    for raw in it:
        try:
            line = parse_json(raw)
        except (ValueError, EncodingError):
            report.fail(
                last_position + 1 if last_position else None,
                f"line after position {last_position} is not valid JSON",
            )
            return
        if line.get("type") == "end":
            ended = True
            if line.get("events") != seen:
                report.fail(
                    None,
                    f"the file lists {seen} events but says {line.get('events')}: "
                    "lines were removed or added",
                )
            continue
        seen += 1
        p = line.get("position")
        if not isinstance(p, int) or p <= last_position:
            report.fail(
                p if isinstance(p, int) else None,
                f"event at position {p} is out of order after position {last_position}",
            )
            return
        last_position = p
        if "streamId" in header.get("selection", {}):
            version += 1
            if line.get("version") != version:
                report.fail(p, f"version {version} of the stream is missing before position {p}")
        try:
            leaf = event_leaf(_event_columns(line))
        except (EncodingError, KeyError) as exc:
            report.fail(p, f"event at position {p} cannot be encoded: {exc}")
            continue
        _check_event(line, leaf, cp, complete, tree, report)
    if not ended:
        report.fail(None, "the file is truncated (no end line)")
    if "streamId" in header.get("selection", {}) and header.get("streamHead") not in (
        None,
        version,
    ):
        report.fail(
            None,
            f"the stream's head is version {header['streamHead']} but the file "
            f"ends at version {version}",
        )
    rebuilt = (tree.size, tree.root())
    if complete and cp is not None and report.ok and rebuilt != (cp.tree_size, cp.root_hash):
        report.fail(
            None,
            f"the events' tree (size {tree.size}) does not match the "
            f"checkpoint's root (size {cp.tree_size}): events were rewritten "
            "together with their leaf hashes",
        )


def _check_event(
    line: dict[str, Any],
    leaf: bytes,
    cp: Checkpoint | None,
    complete: bool,
    tree: merkle.CompactRange,
    report: VerifyReport,
) -> None:
    p, index = line["position"], line.get("leafIndex")
    recorded = line.get("leafHash")
    if recorded is not None and bytes.fromhex(recorded) != leaf:
        report.fail(
            p,
            f"event at position {p} (leaf {index}) does not match its recorded hash: "
            "its content was changed",
        )
        return
    if cp is not None and index is None and p <= cp.last_position:
        report.fail(
            p,
            f"event at position {p} was never hashed but lies inside the "
            "checkpointed log: it was inserted (or moved) after hashing",
        )
        return
    if cp is None or index is None:
        report.unchecked += 1
        return
    if complete:
        if index != tree.size:
            report.fail(
                p,
                f"event at position {p} has leaf {index}, expected leaf {tree.size}: "
                "an event before it is missing",
            )
            return
        tree.append(leaf)
    else:
        path = [bytes.fromhex(h) for h in line.get("auditPath") or []]
        if merkle.root_from_inclusion(index, cp.tree_size, leaf, path) != cp.root_hash:
            report.fail(
                p, f"event at position {p} (leaf {index}) does not prove into the checkpoint's root"
            )
            return
    report.events += 1
