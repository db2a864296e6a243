"""The ``fund_reports`` read model: the reporting cycle's records of each fund, one row per
briefing, half-year check and yearly evaluation (what is overdue is computed from these
rows, the funds' openings and a date: ``domain.funds.reporting.ReportingRules.overdue``).

``fund_report_streams`` remembers which fund each reports stream belongs to (its first
event says), so that each row carries its fund, organization and year."""

from __future__ import annotations

import json
from datetime import date
from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("fund_reports", ("fund_reports", "fund_report_streams"))

KINDS = {"FundReports.BriefingRecorded": "MONTHLY_BRIEFING", "FundReports.HalfYearCheckRecorded": "HALF_YEAR_CHECK",
         "FundReports.YearlyEvaluationRecorded": "YEARLY_EVALUATION"}


@projection.on("FundReports.Started")
async def started(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    """Which fund the stream's reports are of (the reports follow in the same append)."""
    p = e.payload
    await conn.execute(
        "INSERT INTO fund_report_streams (stream_id, fund_id, organization_id, year) VALUES ($1, $2, $3, $4)",
        e.stream_id, UUID(p["fund_id"]), UUID(p["organization_id"]), p["year"])


@projection.on(*KINDS)
async def recorded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO fund_reports (id, stream_id, fund_id, organization_id, year, kind, period, done_on, rating,"
        " summary, documents, recorded_by, recorded_at, position)"
        " SELECT $1, s.stream_id, s.fund_id, s.organization_id, s.year, $3, $4, $5, $6, $7, $8::text::jsonb,"
        "        $9, $10, $11"
        "   FROM fund_report_streams s WHERE s.stream_id = $2",
        UUID(p["report_id"]), e.stream_id, KINDS[e.event_type], p["period"], date.fromisoformat(p["done_on"]),
        p.get("rating"), p["summary"], json.dumps(p["documents"], ensure_ascii=False), p["recorded_by"],
        e.recorded_at, e.position,
    )
