"""Checking an evidence file offline (``grassroots verify --export FILE``): no database.

The format is documented in ``eventstore.integrity.evidence``, which writes it. What is
checked, line by line, in one pass and O(streams + checkpoints) memory:

- the chain of checkpoints: every signature (with the trusted key, never only the one
  the file carries) and the consistency proof between consecutive ones
  (``eventstore.integrity.chain``); a chain line removed or a proof hash changed breaks
  the proof of the checkpoint after it;
- every event: recomputed from its columns (never taken from ``leafHash``) and proved
  into the last checkpoint by its audit path, or, for the whole log, by rebuilding the
  tree, whose root must equal every checkpoint's at its size;
- completeness, against the rule the header states (``selection``): each event must fall
  under the rule; each stream's versions must run without a gap (from version 1 for
  whole streams and the whole log, up to each stream's head recorded in the header);
  a position range's leaves must be consecutive; a list of positions must all be there;
  the end line's count must match. An event deleted from the database shows as a version
  gap whether its leaf was deleted too or not.

``grassroots-evidence/1`` files are still read: each event is proved and the one
checkpoint is checked, but such a file cannot show a missing event of a fund's or an
organization's export (they listed positions without saying which), nor anything about
older checkpoints (``V1_LIMITS``).
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from eventstore.integrity import merkle
from eventstore.integrity.chain import Link, check_chain, name
from eventstore.integrity.encoding import (
    Checkpoint,
    EncodingError,
    event_leaf,
    key_id,
    load_public_key,
    parse_json,
    raw_public_key,
)
from eventstore.integrity.verify import VerifyReport

FORMAT = "grassroots-evidence/2"
FORMAT_V1 = "grassroots-evidence/1"
FIELDS = {  # JSON name -> column
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
V1_LIMITS = (
    f"a {FORMAT_V1} file proves each event it holds and its one checkpoint, but not that "
    "no event of a fund's or organization's export is missing, nor that older checkpoints "
    f"are consistent with it: export again for a {FORMAT} file"
)


class BadEvidence(ValueError):
    """The header or a checkpoint line is malformed: nothing after it can be judged."""


@dataclass
class Claim:
    """What the file says it holds (its header's ``selection``): the rule re-checked here."""

    rule: str
    """``log`` (every event), ``streams`` (whole streams), ``positions`` or ``range``."""
    streams: dict[str, int | None] = field(default_factory=dict)
    """For ``streams``: stream id -> its head (last version) when exported."""
    positions: set[int] | None = None
    low: int | None = None
    high: int | None = None
    period: tuple[date | None, date | None] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    """What the streams are, as the header says (``fund`` or ``organization`` id)."""
    heads_required: bool = False
    """/2: every stream's head is stated (/1 left it null when the streams row was gone)."""

    def describe(self) -> str:
        """The claim in words, for the verifier's report."""
        if self.rule == "log":
            return "the whole log"
        if self.rule == "streams":
            labels = ", ".join(f"{k} {v}" for k, v in self.labels.items())
            return (f"{len(self.streams)} stream(s) whole" + (f" ({labels})" if labels else "")
                    + ", each from version 1 to its recorded head")
        if self.rule == "range":
            return f"every event at positions {self.low}..{self.high}"
        if self.positions is None:
            return "a number of positions it does not list (grassroots-evidence/1)"
        return f"the {len(self.positions)} listed positions"

    @classmethod
    def of(cls, header: dict[str, Any]) -> Claim:
        s = header.get("selection")
        if not isinstance(s, dict):
            raise BadEvidence("the header states no selection")
        if header.get("format") == FORMAT_V1:
            return cls._of_v1(s, header)
        rule = s.get("rule")
        if rule == "log":
            return cls("log")
        if rule == "streams" and isinstance(s.get("streams"), dict):
            period = s.get("period")
            return cls("streams", streams={str(k): _head(v) for k, v in s["streams"].items()},
                       period=_period(period) if period is not None else None,
                       labels={k: str(s[k]) for k in ("fund", "organization") if k in s},
                       heads_required=True)
        if rule == "positions" and isinstance(s.get("positions"), list):
            return cls("positions", positions={int(p) for p in s["positions"]})
        if rule == "range" and isinstance(s.get("from"), int) and isinstance(s.get("to"), int):
            return cls("range", low=s["from"], high=s["to"])
        raise BadEvidence(f"the header's selection rule {rule!r} is not one this verifier knows")

    @classmethod
    def _of_v1(cls, s: dict[str, Any], header: dict[str, Any]) -> Claim:
        if s.get("all"):
            return cls("log")
        if "streamId" in s:
            return cls("streams", streams={str(s["streamId"]): _head(header.get("streamHead"))})
        if "from" in s and "to" in s:
            return cls("range", low=int(s["from"]), high=int(s["to"]))
        return cls("positions")  # /1 gave only their count: membership cannot be checked


def _head(value: object) -> int | None:
    if value is None or (isinstance(value, int) and value >= 0):
        return value
    raise BadEvidence(f"a stream head in the header is not a version: {value!r}")


def _period(value: object) -> tuple[date | None, date | None]:
    if not isinstance(value, dict):
        raise BadEvidence("the header's period is not an object")
    try:
        return tuple(  # type: ignore[return-value]
            date.fromisoformat(value[k]) if value.get(k) else None for k in ("from", "to")
        )
    except (TypeError, ValueError) as exc:
        raise BadEvidence(f"the header's period is not two dates: {exc}") from exc


def _link(line: dict[str, Any], index: int) -> Link:
    try:
        cp = Checkpoint.from_json(line["checkpoint"])
        proof = line.get("consistency")
        if proof is None:
            return Link(cp)
        return Link(cp, int(proof["fromSize"]), [bytes.fromhex(h) for h in proof["path"]])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadEvidence(f"checkpoint line {index + 1} is malformed: {exc}") from exc


def verify_evidence(
    lines: Iterable[str],
    public: Ed25519PublicKey | None,
    *,
    expect_streams: Collection[UUID | str] = (),
) -> VerifyReport:
    """Check an evidence file offline; the first event that fails is named by position.

    The header is not signed: an editor can make a file claim less (a list of positions
    instead of the fund's stream) and drop lines consistently. So the report's notes
    say what the file proved to hold, and ``expect_streams`` (``grassroots verify
    --export FILE --stream ID``) fails a file that does not claim those streams whole.
    """
    report = VerifyReport()
    it: Iterator[str] = (ln for ln in lines if ln.strip())
    try:
        header = json.loads(next(it))
    except (StopIteration, ValueError):
        report.fail(None, "not an evidence file (no header line)")
        return report
    if not isinstance(header, dict) or header.get("type") != "evidence" or header.get(
        "format"
    ) not in (FORMAT, FORMAT_V1):
        report.fail(None, f"not a {FORMAT} (or {FORMAT_V1}) file")
        return report
    links: list[Link] = []
    first: str | None = None
    try:
        for raw in it:
            line = json.loads(raw)
            if not isinstance(line, dict) or line.get("type") != "checkpoint":
                first = raw
                break
            if line.get("checkpoint") is not None:
                links.append(_link(line, len(links)))
    except (BadEvidence, ValueError) as exc:
        report.fail(None, str(exc))
        return report
    if not links:
        # Leaf hashes in the file are the file's own word: without a signed checkpoint
        # nothing in it is proven, so this is not "clean".
        report.fail(None, "the file carries no signed checkpoint, so nothing in it can be "
                          "proven; record one (grassroots checkpoint) before exporting")
        return report
    try:
        claim = Claim.of(header)
    except (BadEvidence, ValueError) as exc:
        report.fail(None, str(exc))
        return report
    if header["format"] == FORMAT_V1:
        report.notes.append(V1_LIMITS)
    announced = header.get("checkpoints")
    if header["format"] == FORMAT and announced != len(links):
        report.fail(None, f"the header announces {announced} checkpoints but the file holds "
                          f"{len(links)}: a checkpoint line was removed or added")
    target = links[-1].checkpoint
    report.checkpoints, report.tree_size = len(links), target.tree_size
    if public is None:
        try:
            public = load_public_key(base64.b64encode(target.public_key))
        except ValueError as exc:
            report.fail(None, f"the file's checkpoint carries no usable public key: {exc}")
            return report
        report.notes.append("trusting the public key inside the file; pin it with --public-key")
    report.key_id = key_id(raw_public_key(public))
    chain_ok = check_chain(links, public, report)
    for sid in expect_streams:
        if claim.rule != "streams" or str(sid) not in claim.streams:
            report.fail(None, f"the file does not claim to hold stream {sid} whole "
                              f"(its rule: {claim.describe()})")
    rest = itertools.chain([first], it) if first is not None else it
    # /2: the rule decides how events are proved, not a flag an editor could flip alone.
    complete = claim.rule == "log" if header["format"] == FORMAT else bool(header.get("complete"))
    _Events(report, claim, [link.checkpoint for link in links], complete).run(rest)
    report.checkpoints_ok = chain_ok
    if report.ok:
        report.notes.append(f"complete: the file holds {claim.describe()}")
        report.notes.append(
            "checkpoints: " + " → ".join(name(link.checkpoint) for link in links)
            + (", each signed and proved consistent with the one before"
               if len(links) > 1 else ", signed")
        )
    return report


def event_columns(line: dict[str, Any]) -> dict[str, Any]:
    """The stored columns of an event line, as the canonical encoding takes them."""
    return {column: line[name] for name, column in FIELDS.items()}


def _dates_carried(line: dict[str, Any]) -> set[str]:
    """The dates an event itself states: its recording date (UTC) and any ``*_on`` field."""
    carried = {str(line.get("recordedAt", ""))[:10]}
    payload = line.get("payload")
    if isinstance(payload, dict):
        carried |= {v for k, v in payload.items() if k.endswith("_on") and isinstance(v, str)}
    return carried


class _Events:
    """One pass over the event lines, checking each against the checkpoint and the claim."""

    def __init__(
        self, report: VerifyReport, claim: Claim, chain: list[Checkpoint], complete: bool
    ) -> None:
        self.report, self.claim, self.complete = report, claim, complete
        self.cp = chain[-1]
        self.roots_at: dict[int, list[Checkpoint]] = {}
        for c in chain:
            if complete and 0 < c.tree_size <= self.cp.tree_size:
                self.roots_at.setdefault(c.tree_size, []).append(c)
        self.tree = merkle.CompactRange()
        self.seen = 0
        self.last_position = 0
        self.versions: dict[str, tuple[int, int]] = {}  # stream -> (last version, its position)
        self.last_leaf: int | None = None
        self.positions: set[int] = set()
        self.in_period = 0

    def run(self, lines: Iterable[str]) -> None:
        ended = False
        for raw in lines:
            try:
                line = parse_json(raw)
            except (ValueError, EncodingError):
                self.report.fail(
                    self.last_position + 1 if self.last_position else None,
                    f"line after position {self.last_position} is not valid JSON",
                )
                return
            if not isinstance(line, dict):
                self.report.fail(None, f"line after position {self.last_position} is not an object")
                return
            if line.get("type") == "end":
                ended = True
                if line.get("events") != self.seen:
                    self.report.fail(None, f"the file lists {self.seen} events but says "
                                           f"{line.get('events')}: lines were removed or added")
                continue
            if line.get("type") != "event":
                self.report.fail(None, f"unexpected {line.get('type')!r} line after position "
                                       f"{self.last_position}")
                continue
            self.seen += 1
            p = line.get("position")
            if not isinstance(p, int) or p <= self.last_position:
                self.report.fail(
                    p if isinstance(p, int) else None,
                    f"event at position {p} is out of order after position {self.last_position}",
                )
                return
            self.last_position = p
            self._claimed(line, p)
            try:
                leaf = event_leaf(event_columns(line))
            except (EncodingError, KeyError, TypeError, ValueError) as exc:
                self.report.fail(p, f"event at position {p} cannot be encoded: {exc}")
                continue
            try:
                self._proved(line, p, leaf)
            except (TypeError, ValueError) as exc:
                self.report.fail(p, f"event at position {p} has malformed hashes: {exc}")
        if not ended:
            self.report.fail(None, "the file is truncated (no end line)")
        self._finish()

    def _claimed(self, line: dict[str, Any], p: int) -> None:
        """The event falls under the header's rule and follows its stream without a gap."""
        c, report = self.claim, self.report
        sid, version = str(line.get("streamId")), line.get("version")
        if c.rule == "streams" and sid not in c.streams:
            report.fail(p, f"event at position {p} belongs to stream {sid}, which the file "
                           "does not claim to hold")
        elif c.rule == "positions" and c.positions is not None and p not in c.positions:
            report.fail(p, f"event at position {p} is not among the positions the file claims")
        elif c.rule == "range" and not (c.low or 0) <= p <= (c.high or 0):
            report.fail(p, f"event at position {p} lies outside the range {c.low}..{c.high}")
        if c.rule == "positions":
            self.positions.add(p)
        elif isinstance(version, int):
            # Whole streams and the whole log start at version 1; a range starts wherever
            # the stream was when the range began, then runs without a gap.
            before = self.versions.get(sid)
            expected = before[0] + 1 if before else (None if c.rule == "range" else 1)
            if expected is not None and version != expected:
                report.fail(
                    p,
                    f"version {expected} of stream {sid} is missing before position {p} "
                    f"(version {version}): an event was deleted, or left out of the file",
                )
            self.versions[sid] = (version, p)
        if c.period is not None and "businessDate" in line:
            self._dated(line, p)

    def _dated(self, line: dict[str, Any], p: int) -> None:
        assert self.claim.period is not None
        day = line["businessDate"]
        if not isinstance(day, str) or day not in _dates_carried(line):
            self.report.fail(p, f"event at position {p} is dated {day!r}, a date it does not "
                                "carry (neither a *_on field nor its recording date)")
            return
        low, high = self.claim.period
        on = date.fromisoformat(day)
        self.in_period += (low is None or low <= on) and (high is None or on <= high)

    def _proved(self, line: dict[str, Any], p: int, leaf: bytes) -> None:
        report, cp = self.report, self.cp
        index = line.get("leafIndex")
        recorded = line.get("leafHash")
        if recorded is not None and bytes.fromhex(recorded) != leaf:
            report.fail(p, f"event at position {p} (leaf {index}) does not match its recorded "
                           "hash: its content was changed")
            return
        if index is None and p <= cp.last_position:
            report.fail(p, f"event at position {p} was never hashed but lies inside the "
                           "checkpointed log: it was inserted (or moved) after hashing")
            return
        if index is None:
            report.unchecked += 1
            return
        if not isinstance(index, int):
            report.fail(p, f"event at position {p} has no valid leaf index")
            return
        if self.claim.rule == "range" and self.last_leaf is not None and index != self.last_leaf + 1:
            report.fail(p, f"event at position {p} has leaf {index} after leaf {self.last_leaf}: "
                           "an event of the range is missing (deleted, or left out)")
        self.last_leaf = index
        if self.complete:
            if index != self.tree.size:
                report.fail(p, f"event at position {p} has leaf {index}, expected leaf "
                               f"{self.tree.size}: an event before it is missing")
                return
            self.tree.append(leaf)
            for c in self.roots_at.pop(self.tree.size, []):
                if self.tree.root() != c.root_hash:
                    report.fail(p, f"{name(c)} does not match the events' tree: an event up "
                                   f"to position {c.last_position} was rewritten together "
                                   "with its leaf hash")
        else:
            path = [bytes.fromhex(h) for h in line.get("auditPath") or []]
            if merkle.root_from_inclusion(index, cp.tree_size, leaf, path) != cp.root_hash:
                report.fail(p, f"event at position {p} (leaf {index}) does not prove into "
                               f"the checkpoint's root ({name(cp)})")
                return
        report.events += 1

    def _finish(self) -> None:
        c, report = self.claim, self.report
        if c.rule == "streams":
            for sid, head in c.streams.items():
                last, at = self.versions.get(sid, (0, None))
                if head is None and c.heads_required:
                    report.fail(at, f"stream {sid} has no recorded head (its streams row was "
                                    "missing when exported): its newest events may have been "
                                    "deleted with it")
                elif head is not None and last != head:
                    report.fail(at, f"stream {sid} ends at version {last} in the file but its "
                                    f"head was version {head}: versions {last + 1}..{head} "
                                    "are missing")
        if c.rule == "positions" and c.positions is not None:
            missing = sorted(c.positions - self.positions)
            if missing:
                report.fail(missing[0], f"{len(missing)} claimed position(s) are missing from "
                                        f"the file (first {missing[0]})")
        if self.complete and report.ok and (self.tree.size, self.tree.root()) != (
            self.cp.tree_size, self.cp.root_hash
        ):
            report.fail(None, f"the events' tree (size {self.tree.size}) does not match "
                              f"{name(self.cp)}'s root: events were rewritten together with "
                              "their leaf hashes")
        if c.period is not None:
            low, high = c.period
            report.notes.append(
                f"{self.in_period} of {self.seen} events fall in the period "
                f"{low or '…'}..{high or '…'} by their business date (else the date they "
                "were recorded); the file holds each stream whole, so none can be missing"
            )
