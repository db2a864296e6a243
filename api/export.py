"""Auditors' exports: a fund's or an organization subtree's history for a period.

Two formats over the same selection of events:
- ``csv``: one row per event with its money effect and the balance after it, for a
  spreadsheet (UTF-8 with a byte-order mark, so Excel reads the Chinese text right);
- ``jsonl``: the evidence format of ``eventstore.integrity.evidence`` (every stored column plus
  the Merkle proof against the latest signed checkpoint, and the checkpoints before it
  with their consistency proofs), which ``grassroots verify --export FILE`` checks
  offline. Evidence holds the selected streams whole, whatever the period, so that it
  can prove none of their events is missing; the period only dates each line.

The period is inclusive and applies to each event's business date (effective, payment,
meeting, acceptance... date), or to the UTC date it was recorded when it has none.
CSV streams from a server-side cursor; JSON lines stream page by page from one
repeatable-read snapshot (only the streams' leaf indexes and, with a period, each
event's date are held), with back-pressure from the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from api.auth import InvalidToken, from_header
from domain.inspections.commands import OpenInspection
from domain.shared.permissions import Role, may_read
from domain.shared.ports import RecordedEvent
from domain.shared.privacy import TRUSTED, Viewer
from eventstore.integrity.evidence import write_evidence
from eventstore.postgres import event_columns, row_to_event
from projections.feed.document import event_document, select_fields

CSV_COLUMNS = (
    "position", "recorded_at", "business_date", "organization_id", "fund_id", "fund_year",
    "fund_kind", "stream_type", "event_type", "movement", "amount", "balance_after",
    "project_id", "payment_id", "reference", "actor", "actor_roles", "reason",
    "correlation_id", "event_id",
    # Funds part two (issue 15), after the first columns so that readers by position keep working:
    # a money line's source (DONATION, RED_FUND_GRANT, CARRIED_OVER, ...) and the other fund of a
    # grant or carry-over; an inspection finding's id, category and deadline (on its finding,
    # rectification, verification and rejection rows); a period disclosure's period and digest.
    "source", "counterpart_fund_id", "finding_id", "finding_category", "rectify_by", "period", "digest",
)
FORMATS = ("csv", "jsonl")
EXPORTERS = frozenset({Role.AUDITOR}) | OpenInspection.allowed
"""Who may download a fund's evidence: those who audit funds, auditors and the inspecting
admins above the communities (``openInspection``); not the finance officers and
secretaries whose own bookkeeping it is, nor integrations."""


class ExportError(ValueError):
    """The export request is malformed or names nothing visible."""


@dataclass(frozen=True)
class Selection:
    """One fund, or every fund and inspection of an organization subtree, over a period."""

    fund_id: UUID | None = None
    organization_id: UUID | None = None
    from_date: date | None = None
    to_date: date | None = None

    def __post_init__(self) -> None:
        if (self.fund_id is None) == (self.organization_id is None):
            raise ExportError("export either one fund or one organization subtree")
        if self.from_date and self.to_date and self.from_date > self.to_date:
            raise ExportError("the period's start lies after its end")

    async def streams(self, conn: asyncpg.Connection) -> list[UUID]:
        """The streams an evidence file holds whole: the fund's, or every fund's,
        inspection's and dues account's of the subtree (from the read models, so the list
        is the server's word; each stream in it is proved complete)."""
        if self.fund_id is not None:
            return [self.fund_id]
        rows = await conn.fetch(
            "SELECT f.id FROM funds f JOIN organizations o ON o.id = f.organization_id"
            " WHERE o.path @> ARRAY[$1::uuid] UNION SELECT i.id FROM inspections i"
            " JOIN organizations o ON o.id = i.organization_id WHERE o.path @> ARRAY[$1::uuid]"
            " UNION SELECT a.id FROM dues_accounts a"
            " JOIN organizations o ON o.id = a.organization_id WHERE o.path @> ARRAY[$1::uuid]"
            " ORDER BY 1", self.organization_id)
        return [r[0] for r in rows]

    def where(self) -> tuple[str, list[object]]:
        """SQL over events ``e`` left-joined to ``fund_movements m``, and its arguments."""
        args: list[object] = []
        if self.fund_id is not None:
            args.append(self.fund_id)
            parts = ["e.stream_id = $1"]
        else:
            args.append(self.organization_id)
            parts = ["e.stream_id IN (SELECT f.id FROM funds f JOIN organizations o"
                     " ON o.id = f.organization_id WHERE o.path @> ARRAY[$1::uuid]"
                     " UNION ALL SELECT i.id FROM inspections i JOIN organizations o"
                     " ON o.id = i.organization_id WHERE o.path @> ARRAY[$1::uuid]"
                     " UNION ALL SELECT a.id FROM dues_accounts a JOIN organizations o"
                     " ON o.id = a.organization_id WHERE o.path @> ARRAY[$1::uuid])"]
        day = _DAY
        if self.from_date is not None:
            args.append(self.from_date)
            parts.append(f"{day} >= ${len(args)}")
        if self.to_date is not None:
            args.append(self.to_date)
            parts.append(f"{day} <= ${len(args)}")
        return " AND ".join(parts), args

    async def organization(self, conn: asyncpg.Pool | asyncpg.Connection) -> UUID | None:
        """The organization whose scope decides who may export (None if nothing exists)."""
        if self.organization_id is not None:
            found = await conn.fetchval("SELECT id FROM organizations WHERE id = $1",
                                        self.organization_id)
            return found  # type: ignore[no-any-return]
        return await conn.fetchval(  # type: ignore[no-any-return]
            "SELECT organization_id FROM funds WHERE id = $1", self.fund_id)


_DAY = "coalesce(m.business_date, (e.recorded_at AT TIME ZONE 'UTC')::date)"
"""The date a period applies to: the event's business date, else its recording date (UTC)."""
_FROM = ("FROM events e LEFT JOIN fund_movements m ON m.fund_id = e.stream_id"
         " AND m.version = e.version LEFT JOIN funds f ON f.id = e.stream_id")


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _text(value: object) -> object:
    """Free text for a spreadsheet: a leading =, +, -, @ would run as a formula in Excel."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def _line(values: list[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(["" if v is None else v for v in values])
    return out.getvalue()


_CSV_EVENT_FIELDS = select_fields("position", "recordedAt", "streamType", "type", "actor",
                                  "actorRoles", "reason", "correlationId", "eventId")
"""The CSV's columns that come from the event document (no payload: nothing personal)."""
_EVENT_COLUMNS = event_columns("e")


def _payload_id(event: RecordedEvent, key: str) -> object:
    payload = event.payload
    return payload.get(key) if isinstance(payload, dict) else None


async def csv_lines(conn: asyncpg.Connection, selection: Selection,
                    viewer: Viewer = TRUSTED) -> AsyncIterator[str]:
    """The export as CSV text, one line at a time (header first).

    The event's own columns come from its event document (``projections.feed.document``,
    as ``viewer`` may see it); the money columns from ``fund_movements``; an inspection's
    organization and a project's id, for events without a movement, from the payload in
    its current shape (upcast, as every reader of the log reads it).
    """
    where, args = selection.where()
    yield "\ufeff" + _line(list(CSV_COLUMNS))
    sql = (
        f"SELECT {_EVENT_COLUMNS}, m.business_date, f.organization_id AS fund_organization_id,"
        " f.id AS fund_id, f.year, f.kind, m.movement, m.amount, m.balance_after,"
        " m.project_id AS movement_project_id, m.payment_id, m.reference, m.source,"
        " m.counterpart_fund_id "
        f"{_FROM} WHERE {where} ORDER BY e.position"
    )
    async with conn.transaction(readonly=True):
        async for r in conn.cursor(sql, *args, prefetch=500):
            event = row_to_event(r)
            doc = event_document(event, viewer, fields=_CSV_EVENT_FIELDS)
            organization_id = r["fund_organization_id"] or _payload_id(event, "organization_id")
            project_id = r["movement_project_id"] or _payload_id(event, "project_id")
            yield _line([
                doc["position"], doc["recordedAt"], r["business_date"],
                organization_id, r["fund_id"], r["year"], r["kind"], doc["streamType"],
                doc["type"], r["movement"], r["amount"], r["balance_after"], project_id,
                r["payment_id"], _text(r["reference"]), _text(doc["actor"]),
                " ".join(doc["actorRoles"]), _text(doc["reason"]), doc["correlationId"],
                doc["eventId"], r["source"], r["counterpart_fund_id"], _payload_id(event, "finding_id"),
                _payload_id(event, "category") if event.stream_type == "Inspection" else None,
                _payload_id(event, "rectify_by"), _payload_id(event, "period"), _payload_id(event, "digest"),
            ])


async def jsonl_lines(conn: asyncpg.Connection, selection: Selection) -> AsyncIterator[str]:
    """The export as an evidence file (JSON lines with proofs), one line at a time.

    Evidence holds the selected streams whole (versions 1..head), whatever the period:
    business dates do not follow the recording order, so only a whole stream proves that
    no event of the period is missing. The header states the fund or organization, the
    period and each stream's head; each line carries the business date the period
    applies to (as in the CSV), which the verifier checks against the event's own dates.
    """
    # write_evidence pushes lines through a callback; a small bounded queue turns that
    # into a stream with back-pressure, so a slow client holds at most 64 lines.
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=64)
    dated = selection.from_date is not None or selection.to_date is not None

    async def produce() -> None:
        try:
            # One snapshot: the streams, their heads, the dates and the events agree.
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                streams = await selection.streams(conn)
                dates = {r[0]: r[1] for r in await conn.fetch(
                    f"SELECT e.position, {_DAY} {_FROM} WHERE e.stream_id = ANY($1::uuid[])",
                    streams)} if dated else {}
                label = ({"fund": str(selection.fund_id)} if selection.fund_id
                         else {"organization": str(selection.organization_id)})
                await write_evidence(
                    conn, None, queue.put, streams=streams, label=label,
                    period=(selection.from_date, selection.to_date) if dated else None,
                    business_dates=dates)
        finally:
            await queue.put(None)

    task = asyncio.create_task(produce())
    try:
        while (line := await queue.get()) is not None:
            yield line
        await task
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def lines(conn: asyncpg.Connection, selection: Selection, fmt: str,
          viewer: Viewer = TRUSTED) -> AsyncIterator[str]:
    """The export's lines. ``viewer`` is the requesting actor (``TRUSTED`` for the
    operator's command line). The CSV carries no payload; the JSON lines are evidence,
    which carries every stored column unmasked (a masked record would prove nothing)."""
    if fmt not in FORMATS:
        raise ExportError(f"format is one of {', '.join(FORMATS)}")
    return csv_lines(conn, selection, viewer) if fmt == "csv" else jsonl_lines(conn, selection)


class ExportEndpoint:
    """``GET /export?fund=ID|organization=ID&from=DATE&to=DATE&format=csv|jsonl``.

    Authorised with the bearer token of a role that audits funds (``EXPORTERS``, else 403);
    the fund or subtree must lie within the caller's scope (else 404, as for a query).
    Streams the file as an attachment.
    """

    def __init__(self, services: object) -> None:
        self.services = services

    async def handle(self, request: Request) -> Response:
        s = self.services
        try:
            actor = from_header(s.secret, request.headers.get("authorization"))  # type: ignore[attr-defined]
        except InvalidToken as exc:
            return JSONResponse({"error": f"unauthorized: {exc}"}, status_code=401,
                                headers={"www-authenticate": "Bearer"})
        if not actor.roles & EXPORTERS:
            return JSONResponse({"error": f"{', '.join(actor.role_names) or 'no role'} may not"
                                 " export: only auditors and inspecting admins ("
                                 + ", ".join(sorted(r.value for r in EXPORTERS)) + ")"},
                                status_code=403)
        q = request.query_params
        try:
            fmt = q.get("format", "csv")
            if fmt not in FORMATS:
                raise ExportError(f"format is one of {', '.join(FORMATS)}")
            selection = Selection(
                fund_id=_uuid(q.get("fund"), "fund"),
                organization_id=_uuid(q.get("organization"), "organization"),
                from_date=_date(q.get("from"), "from"), to_date=_date(q.get("to"), "to"),
            )
        except ExportError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        pool: asyncpg.Pool = s.pool  # type: ignore[attr-defined]
        org = await selection.organization(pool)
        path = None if org is None else await pool.fetchval(
            "SELECT path FROM organizations WHERE id = $1", org)
        if path is None or not may_read(actor, list(path)):
            return JSONResponse({"error": "no such fund or organization within your scope"},
                                status_code=404)

        async def body() -> AsyncIterator[bytes]:
            async with pool.acquire() as conn:
                async for line in lines(conn, selection, fmt, actor):
                    yield line.encode()

        what = f"fund-{selection.fund_id}" if selection.fund_id else f"org-{selection.organization_id}"
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson"
        return StreamingResponse(body(), media_type=media, headers={
            "content-disposition": f'attachment; filename="{what}.{fmt}"'})


def _uuid(value: str | None, name: str) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError as exc:
        raise ExportError(f"{name} is not a UUID") from exc


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ExportError(f"{name} is not a date (YYYY-MM-DD)") from exc
