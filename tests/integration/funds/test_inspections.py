"""Inspections on PostgreSQL: the findings read model follows a rectification through
rejection and verification, and ``overdueRectifications`` lists what is past due."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import asyncpg

from domain.funds.aggregate import AllocationSource
from domain.inspections.aggregate import FindingCategory, Severity
from domain.shared.commands import Request
from tests.integration.funds.support import approved, community, query, service_fund, settle, street
from tests.integration.support import FINANCE, commands, req

OVERDUE = """{ overdueRectifications { edges { node { description category state rectifyBy rejections
               rejectionReason } } } }"""


async def test_a_rejected_rectification_is_due_again_and_listed_once_overdue(dsn: str, pool: asyncpg.Pool) -> None:
    f = commands(pool)
    ids = await street(f, "320508023")
    org = await community(f, ids["street"], "桂花社区党委", "320508023001")
    fund = await service_fund(f, org, ("120000.00", AllocationSource.FISCAL_BUDGET))
    project = await approved(f, fund, "6000.00")
    insp = (await f.open_inspection(req(), "2026 专项督查", fund_id=fund)).id
    finding = UUID((await f.record_inspection_finding(
        req(), insp, "虚报活动人数", Severity.MAJOR, project_ids=(project,), category=FindingCategory.FALSE_CLAIM,
        rectify_by=date(2026, 3, 15))).extra["finding_id"])
    await settle(dsn)
    later = datetime(2026, 3, 20, tzinfo=UTC)
    listed = (await query(pool, OVERDUE, now=later))["overdueRectifications"]["edges"]
    assert [e["node"] for e in listed] == [{"description": "虚报活动人数", "category": "FALSE_CLAIM", "state": "OPEN",
                                            "rectifyBy": "2026-03-15", "rejections": 0, "rejectionReason": None}]
    await f.record_rectification(Request(FINANCE, uuid4()), insp, finding, "退回多报金额")
    await settle(dsn)
    assert (await query(pool, OVERDUE, now=later))["overdueRectifications"]["edges"] == []
    await f.reject_rectification(req(), insp, finding, "未附退款凭证", date(2026, 3, 18))
    await settle(dsn)
    listed = (await query(pool, OVERDUE, now=later))["overdueRectifications"]["edges"]
    assert [(e["node"]["state"], e["node"]["rejections"], e["node"]["rejectionReason"]) for e in listed] == [
        ("REJECTED", 1, "未附退款凭证")]
    await f.record_rectification(Request(FINANCE, uuid4()), insp, finding, "补交凭证")
    await f.verify_rectification(req(), insp, finding)
    await f.close_inspection(req(), insp, "整改到位")
    await settle(dsn)
    row = await pool.fetchrow("SELECT state, open_findings FROM inspections WHERE id = $1", insp)
    assert (row["state"], row["open_findings"]) == ("CLOSED", 0)
    assert await pool.fetchval("SELECT state FROM inspection_findings WHERE id = $1", finding) == "VERIFIED"
