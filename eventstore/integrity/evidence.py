"""Evidence files: events with their proofs and a chain of signed checkpoints, as JSON lines.

Writing needs PostgreSQL (``write_evidence``); checking needs nothing but the file and,
ideally, the public key obtained some other way (``verify_evidence`` in
``eventstore.integrity.evidence_check``, used by ``grassroots verify --export FILE``).
Format ``grassroots-evidence/2``, one JSON object per line, in this order:

1. ``{"type": "evidence", "format": "grassroots-evidence/2", "encoding":
   "grassroots-canonical/1", "tree": "RFC 6962 SHA-256", "complete": bool,
   "checkpoints": n, "selection": {...}}``. ``selection`` states the rule the file's
   events were chosen by, which the verifier re-checks line by line:

   - ``{"rule": "log"}``: every event (``complete``: the verifier rebuilds the tree, no
     audit paths are written);
   - ``{"rule": "streams", "streams": {"<stream id>": head, ...}}``: each listed stream
     whole, versions 1..head (its recorded version when exported); a fund's or an
     organization's export adds ``"fund"`` or ``"organization"`` (the id) and
     ``"period": {"from": "YYYY-MM-DD" | null, "to": ...}``. A period does not cut the
     streams: business dates do not follow the recording order (a payment entered in
     July may be dated June), so only the whole stream proves that none of the period's
     events is missing; each event line then carries ``"businessDate"``;
   - ``{"rule": "positions", "positions": [...]}``: exactly these positions;
   - ``{"rule": "range", "from": p, "to": p}``: every event with a position in between.

2. ``n`` lines ``{"type": "checkpoint", "checkpoint": {...}, "consistency": null |
   {"fromSize": int, "path": [hex, ...]}}``, in signing order, the last being the one
   every audit path proves into. Each checkpoint has ``id``, ``treeSize``, ``rootHash``
   (hex), ``lastPosition``, ``signedAt``, ``keyId``, ``publicKey`` and ``signature``
   (base64), and ``signedText``, the exact UTF-8 text signed with Ed25519;
   ``consistency`` is the RFC 9162 proof from the previous line's tree size (null on
   the first line). The chain holds the checkpoints the file relies on: for each event,
   the first checkpoint that covered (sealed) it, and the last one; at most one line per
   event plus one, however many checkpoints the log has.
3. One ``{"type": "event", ...}`` per event, by position: every stored column
   (``position``, ``streamId``, ``streamType``, ``version``, ``eventId``, ``eventType``,
   ``schemaVersion``, ``payload`` (the stored JSON, numbers exactly as stored),
   ``recordedAt`` (ISO-8601 UTC, microseconds), ``actor``, ``actorRoles``,
   ``correlationId``, ``causationId``, ``commandId``, ``reason``) and ``leafIndex``,
   ``leafHash`` (hex) and ``auditPath`` (hex list, RFC 6962 order, leaf upwards), the
   last three null for events the last checkpoint does not cover yet.
4. ``{"type": "end", "events": n}``: a file cut short is caught.

``grassroots-evidence/1`` (still verified) had one checkpoint line
(``{"type": "checkpoint", "checkpoint": {...}}``) and selections ``{"all": true}``,
``{"streamId": ...}`` with ``"streamHead"``, ``{"from", "to"}`` or ``{"positions": n}``
(a count): a fund's export was the last kind, so it could not show a missing event.

The leaf is recomputed from the columns with the canonical encoding documented in
``eventstore/integrity/encoding.py``; never taken from ``leafHash``, which only helps to
say *what* differs.

An event line is the stored record, not the readers' event document
(``projections.feed.document``): the payload as stored (not upcast, not masked:
``domain.shared.privacy`` exempts tamper evidence, since a masked record would prove
nothing), the stored ``schemaVersion``, ``recordedAt`` in the canonical UTC form and
``eventType`` for the type, because the verifier re-hashes exactly these values.

The file is written from one repeatable-read snapshot, so the streams' heads, the
events, the leaves and the checkpoints agree with each other.
"""

from __future__ import annotations

import bisect
import contextlib
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from eventstore.integrity import store as idb
from eventstore.integrity.chain import chain_proofs, name
from eventstore.integrity.encoding import Checkpoint, hex_list, timestamp_text
from eventstore.integrity.evidence_check import FORMAT, FORMAT_V1, verify_evidence
from eventstore.integrity.evidence_check import (  # noqa: F401  (its name before the split)
    event_columns as _event_columns,
)

__all__ = [
    "FORMAT",
    "FORMAT_V1",
    "EvidenceIncomplete",
    "EvidenceSummary",
    "event_line",
    "verify_evidence",
    "write_evidence",
]

PAGE = 2_000


class EvidenceIncomplete(LookupError):
    """The selection cannot be proved: stored hashes (leaves or tree nodes) it needs are gone."""

    def __init__(self, positions: list[int], detail: str | None = None) -> None:
        self.positions = positions
        shown = ", ".join(str(p) for p in positions[:10]) + (", ..." if len(positions) > 10 else "")
        super().__init__(
            detail
            or f"{len(positions)} event(s) lack the stored hashes that prove them into the "
            f"checkpoint (positions {shown}): recorded leaves or tree nodes were deleted"
        )


@dataclass
class EvidenceSummary:
    """What ``write_evidence`` wrote."""

    events: int
    checkpoint: Checkpoint | None
    complete: bool
    checkpoints: int = 0


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def event_line(
    r: asyncpg.Record,
    leaf: tuple[int, bytes] | None,
    path: list[bytes] | None,
    business_date: date | None = None,
) -> str:
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
    if business_date is not None:
        body["businessDate"] = business_date.isoformat()
    text = json.dumps(body, ensure_ascii=False)
    return f'{text[:-1]}, "payload": {r["payload_text"]}}}\n'


@dataclass(frozen=True)
class _Rule:
    """The SQL that selects the file's events, and the header's statement of it."""

    where: str
    args: list[Any]
    selection: dict[str, Any]
    leaves_sql: str | None
    """Leaf indexes of the selected events (below ``$N``, the checkpoint's size); None for
    the whole log, where every leaf is selected."""


async def _rule(
    conn: asyncpg.Connection,
    positions: Sequence[int] | None,
    streams: Sequence[UUID] | None,
    position_range: tuple[int, int] | None,
    label: Mapping[str, str] | None,
    period: tuple[date | None, date | None] | None,
) -> _Rule:
    if positions is not None:
        chosen = sorted(set(positions))
        return _Rule(
            "e.position = ANY($1::bigint[])", [chosen], {"rule": "positions", "positions": chosen},
            "SELECT leaf_index FROM event_leaves WHERE position = ANY($1::bigint[])"
            " AND leaf_index < $2 ORDER BY leaf_index",
        )
    if streams is not None:
        ids = list(dict.fromkeys(streams))
        # The head is the stream's recorded version: null without a streams row, which
        # the verifier refuses (the head is what shows a deleted newest event).
        heads = await conn.fetch(
            "SELECT s.id, st.version AS head FROM unnest($1::uuid[]) WITH ORDINALITY AS s(id, n)"
            " LEFT JOIN streams st ON st.stream_id = s.id ORDER BY s.n",
            ids,
        )
        selection: dict[str, Any] = {"rule": "streams", **(label or {})}
        if period is not None:
            selection["period"] = {
                "from": period[0].isoformat() if period[0] else None,
                "to": period[1].isoformat() if period[1] else None,
            }
        selection["streams"] = {str(r["id"]): r["head"] for r in heads}
        return _Rule(
            "e.stream_id = ANY($1::uuid[])", [ids], selection,
            "SELECT l.leaf_index FROM event_leaves l JOIN events e ON e.position = l.position"
            " WHERE e.stream_id = ANY($1::uuid[]) AND l.leaf_index < $2 ORDER BY l.leaf_index",
        )
    if position_range is not None:
        return _Rule(
            "e.position >= $1 AND e.position <= $2", list(position_range),
            {"rule": "range", "from": position_range[0], "to": position_range[1]},
            "SELECT leaf_index FROM event_leaves WHERE position >= $1 AND position <= $2"
            " AND leaf_index < $3 ORDER BY leaf_index",
        )
    return _Rule("true", [], {"rule": "log"}, None)


async def _chain(conn: asyncpg.Connection, rule: _Rule, cp: Checkpoint) -> list[Checkpoint]:
    """The checkpoints the file relies on, in signing order: for each selected event the
    first checkpoint that covered it, and ``cp``, which every audit path proves into."""
    signed = [c for c in reversed(await idb.checkpoints(conn)) if (c.id or 0) <= (cp.id or 0)]
    leaves: list[int] | None = None
    if rule.leaves_sql is not None:
        leaves = [
            r[0] for r in await conn.fetch(rule.leaves_sql, *rule.args, cp.tree_size)
        ]
    chain: list[Checkpoint] = []
    covered = 0
    for c in signed:
        if c.id == cp.id:
            break
        if c.tree_size <= covered or c.tree_size > cp.tree_size:
            continue  # seals nothing new (or claims more than the last one: left to it)
        if leaves is not None:
            i = bisect.bisect_left(leaves, covered)
            if i == len(leaves) or leaves[i] >= c.tree_size:
                continue  # none of the file's events was first sealed by it
        chain.append(c)
        covered = c.tree_size
    return [*chain, cp]


@contextlib.asynccontextmanager
async def _snapshot(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """One repeatable-read snapshot for the whole file, unless the caller already opened a
    transaction (then the caller's is used)."""
    if conn.is_in_transaction():
        yield
        return
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        yield


async def write_evidence(
    conn: asyncpg.Connection,
    positions: Sequence[int] | None,
    write: Callable[[str], Awaitable[None] | None],
    *,
    stream_id: UUID | None = None,
    streams: Sequence[UUID] | None = None,
    position_range: tuple[int, int] | None = None,
    checkpoint_id: int | None = None,
    label: Mapping[str, str] | None = None,
    period: tuple[date | None, date | None] | None = None,
    business_dates: Mapping[int, date] | None = None,
) -> EvidenceSummary:
    """Stream an evidence file (format in the module docstring) through ``write``.

    Select events by ``positions``, or whole streams (``stream_id``, or ``streams`` with a
    ``label`` such as ``{"fund": id}``, a ``period`` and each event's business date in
    ``business_dates``), or by an inclusive ``position_range``; with none of them, the
    whole log. Proofs are against the latest checkpoint (or ``checkpoint_id``). ``write``
    gets one line at a time, newline included, and may be a coroutine function (e.g. an
    HTTP response's send). Raises ``EvidenceIncomplete`` (before anything is written when
    a checkpoint proof lacks its hashes) if stored hashes the proofs need are gone.
    """
    if stream_id is not None:
        streams = [stream_id, *(streams or [])]
    async with _snapshot(conn):
        return await _write(
            conn, positions, write, streams, position_range, checkpoint_id, label, period,
            business_dates or {},
        )


async def _write(
    conn: asyncpg.Connection,
    positions: Sequence[int] | None,
    write: Callable[[str], Awaitable[None] | None],
    streams: Sequence[UUID] | None,
    position_range: tuple[int, int] | None,
    checkpoint_id: int | None,
    label: Mapping[str, str] | None,
    period: tuple[date | None, date | None] | None,
    business_dates: Mapping[int, date],
) -> EvidenceSummary:
    cp = (
        await idb.checkpoint_by_id(conn, checkpoint_id)
        if checkpoint_id is not None
        else await idb.latest_checkpoint(conn)
    )
    if checkpoint_id is not None and cp is None:
        raise LookupError(f"no checkpoint #{checkpoint_id}")
    rule = await _rule(conn, positions, streams, position_range, label, period)
    complete = rule.leaves_sql is None
    links = await chain_proofs(conn, await _chain(conn, rule, cp)) if cp is not None else []
    for i, link in enumerate(links):
        if link.lacking:
            absent = ", ".join(f"level {lv} index {x}" for lv, x in link.lacking[:3])
            raise EvidenceIncomplete(
                [],
                f"the consistency proof from {name(links[i - 1].checkpoint)} to "
                f"{name(link.checkpoint)} lacks the stored hashes it needs ({absent}): "
                "tree nodes were deleted",
            )

    async def emit(line: str) -> None:
        result = write(line)
        if inspect.isawaitable(result):
            await result

    await emit(json.dumps({
        "type": "evidence",
        "format": FORMAT,
        "encoding": "grassroots-canonical/1",
        "tree": "RFC 6962 SHA-256",
        "complete": complete,
        "checkpoints": len(links),
        "selection": rule.selection,
    }, ensure_ascii=False) + "\n")
    for link in links:
        proof = (
            {"fromSize": link.from_size, "path": hex_list(link.proof)}
            if link.proof is not None and link.from_size is not None
            else None
        )
        await emit(json.dumps(
            {"type": "checkpoint", "checkpoint": link.checkpoint.to_json(), "consistency": proof}
        ) + "\n")
    count = await _events(conn, rule, cp, complete, emit, business_dates)
    await emit(json.dumps({"type": "end", "events": count}) + "\n")
    return EvidenceSummary(count, cp, complete, len(links))


async def _events(
    conn: asyncpg.Connection,
    rule: _Rule,
    cp: Checkpoint | None,
    complete: bool,
    emit: Callable[[str], Awaitable[None]],
    business_dates: Mapping[int, date],
) -> int:
    count, after = 0, 0
    n = len(rule.args)
    chosen = rule.args[0] if rule.selection["rule"] == "positions" else None
    while True:
        if chosen is not None:
            # Send each page only its own slice of the chosen positions: sending the
            # whole list with every page made large selections quadratic.
            start = bisect.bisect_right(chosen, after)
            page_args: list[Any] = [chosen[start:start + PAGE]]
        else:
            page_args = list(rule.args)
        rows = await idb.canonical_rows(
            conn, f"{rule.where} AND e.position > ${n + 1}", *page_args, after, limit=PAGE
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
            await emit(event_line(r, leaf, path, business_dates.get(r["position"])))
            count += 1
        after = rows[-1]["position"]
        if len(rows) < PAGE:
            break
    return count
