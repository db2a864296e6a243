"""The ``fund_plans`` read model and its parts: each fund's yearly plan, its versions with
their steps, each version's lines, and the projects linked to plan lines.

All four tables come from the ``FundPlan`` streams, so one projection owns them and they
always agree. Plan against actual joins them with the ``projects`` table at query time
(``api/graphql/funds/plans.py``): a project's figures are the funds projection's, never
copied here.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg

from domain.shared.ports import RecordedEvent
from projections.runtime.base import Projection

projection = Projection("fund_plans", ("fund_plans", "fund_plan_versions", "fund_plan_lines", "fund_plan_links"))


async def _plan(conn: asyncpg.Connection, e: RecordedEvent, sets: str = "", *args: object) -> None:
    extra = f", {sets}" if sets else ""
    await conn.execute(
        f"UPDATE fund_plans SET version = $2, updated_at = $3, last_position = $4{extra} WHERE id = $1",
        e.stream_id, e.version, e.recorded_at, e.position, *args,
    )


async def _step(conn: asyncpg.Connection, e: RecordedEvent, state: str, step: dict[str, Any]) -> None:
    """Set the version's state and append the step (who, when, the event's position)."""
    entry = {**step, "actor": e.actor, "recordedAt": e.recorded_at.isoformat(), "position": e.position}
    if e.reason is not None:
        entry["reason"] = e.reason
    await conn.execute(
        "UPDATE fund_plan_versions SET state = $3, steps = steps || jsonb_build_array($4::text::jsonb)"
        " WHERE plan_id = $1 AND number = $2",
        e.stream_id, e.payload["version"], state, json.dumps(entry, ensure_ascii=False),
    )


@projection.on("FundPlan.Started")
async def started(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO fund_plans (id, fund_id, organization_id, year, version, started_at, updated_at,"
        " last_position) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
        e.stream_id, UUID(p["fund_id"]), UUID(p["organization_id"]), p["year"], e.version, e.recorded_at,
        e.position,
    )


@projection.on("FundPlan.VersionProposed")
async def version_proposed(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO fund_plan_versions (plan_id, number, state, total, expected, proposed_by, proposed_at,"
        " position) VALUES ($1, $2, 'PROPOSED', $3::numeric, $4::numeric, $5, $6, $7)",
        e.stream_id, p["version"], p["total"], p["expected"], p["proposed_by"], e.recorded_at, e.position,
    )
    await conn.executemany(
        "INSERT INTO fund_plan_lines (plan_id, number, line_id, ordinal, title, category, amount)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7::numeric)",
        [(e.stream_id, p["version"], UUID(line["line_id"]), n, line["title"], line["category"], line["amount"])
         for n, line in enumerate(p["lines"], 1)],
    )
    await _step(conn, e, "PROPOSED", {"step": "COMMITTEES_PROPOSED", "on": p["meeting_on"],
                                      "resolution": p["resolution"]})
    await _plan(conn, e, "latest_version = $5, state = 'PROPOSED'", p["version"])


@projection.on("FundPlan.AssemblyRecorded")
async def assembly_recorded(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    await _step(conn, e, "ASSEMBLED", {"step": "ASSEMBLY_RESOLVED", "on": p["meeting_on"],
                                       "attendees": p["attendees"], "resolution": p["resolution"]})
    await _plan(conn, e, "state = 'ASSEMBLED'")


@projection.on("FundPlan.VersionApproved")
async def version_approved(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _step(conn, e, "APPROVED", {"step": "STREET_APPROVED", "on": e.recorded_at.date().isoformat()})
    await _plan(conn, e, "state = 'APPROVED', approved_version = $5", e.payload["version"])


@projection.on("FundPlan.VersionReturned")
async def version_returned(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    await _step(conn, e, "RETURNED", {"step": "STREET_RETURNED", "on": e.recorded_at.date().isoformat()})
    await _plan(conn, e, "state = 'RETURNED'")


@projection.on("FundPlan.ProjectLinked")
async def project_linked(conn: asyncpg.Connection, e: RecordedEvent) -> None:
    p = e.payload
    project = UUID(p["project_id"])
    if p["line_id"] is None:
        await conn.execute("DELETE FROM fund_plan_links WHERE project_id = $1", project)
    else:
        await conn.execute(
            "INSERT INTO fund_plan_links (project_id, plan_id, line_id, linked_by, linked_at, last_position)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id) DO UPDATE SET plan_id = EXCLUDED.plan_id,"
            " line_id = EXCLUDED.line_id, linked_by = EXCLUDED.linked_by, linked_at = EXCLUDED.linked_at,"
            " last_position = EXCLUDED.last_position",
            project, e.stream_id, UUID(p["line_id"]), p["linked_by"], e.recorded_at, e.position,
        )
    await _plan(conn, e)
