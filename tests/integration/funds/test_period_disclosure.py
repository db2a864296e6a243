"""A period's disclosure (公示) on real PostgreSQL: recorded with its digest, read back into
``fund_disclosures``, verified from the log, and a tampered copy of the published table refused,
from the command line too; and the CSV export carrying funds part two's fields."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import pytest
from typer.testing import CliRunner

from api.areas import PROJECTIONS
from api.cli.main import app
from api.disclosure import fund_events, verify
from api.export import Selection, csv_lines
from domain.funds.aggregate import AllocationSource, FundKind, SpendingCategory
from domain.funds.disclosure import canonical, digest, table_of
from domain.inspections.aggregate import FindingCategory, Severity
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from tests.integration.support import ACTOR, catch_up, commands
from tests.unit.fakes import Clock


def _req(who: Actor = ACTOR) -> Request:
    return Request(who, uuid4())


async def _disclosed_fund(pool: asyncpg.Pool) -> tuple[UUID, Actor, UUID, str]:
    """A fund paid twice in the first half-year and disclosed for it on 6 July: the fund, its
    finance officer, the second payment and the recorded digest."""
    clock = Clock(datetime(2026, 7, 6, 9, 0, tzinfo=UTC))
    uc = commands(pool, clock)
    K = OrganizationKind
    district = (await uc.establish_organization(_req(), K.DISTRICT_COMMITTEE, "相城区委", None)).id
    street = (await uc.establish_organization(_req(), K.STREET_WORKING_COMMITTEE, "元和街道党工委", district,
                                              "320507001000")).id
    community = (await uc.establish_organization(_req(), K.COMMUNITY_COMMITTEE, "御窑社区党委", street,
                                                 "320507001001")).id
    finance = Actor("finance-yuyao", "F", frozenset({Role.FINANCE_OFFICER}), community)
    street_admin = Actor("street-yuanhe", "S", frozenset({Role.STREET_ADMIN}), street)
    fund = (await uc.open_fund(_req(finance), community, 2026, FundKind.SERVICE_FUND)).id
    await uc.allocate_funds(_req(finance), fund, "50000.00", AllocationSource.FISCAL_BUDGET, date(2026, 1, 8),
                            "相财〔2026〕2号")
    pid = UUID((await uc.propose_project(_req(finance), fund, SpendingCategory.SELF_GOVERNANCE, "楼道议事会",
                                         "8000.00", "组织居民议事", "居民 300 户")).extra["project_id"])
    await uc.record_project_decision(_req(finance), fund, pid, date(2026, 2, 9), ("赵书记", "钱委员", "孙委员"),
                                     "同意")
    await uc.approve_project(_req(street_admin), fund, pid)
    await uc.record_payment(_req(finance), fund, pid, "3000.00", date(2026, 4, 1), "御窑文化站", "记-0401")
    second = await uc.record_payment(_req(finance), fund, pid, "2500.00", date(2026, 6, 12), "御窑文化站", "记-0612")
    out = await uc.record_fund_disclosure(_req(finance), fund, "2026-H1", date(2026, 7, 6), "御窑社区公示栏")
    return fund, finance, UUID(second.extra["payment_id"]), out.extra["digest"]


async def test_a_disclosure_is_verified_from_the_log_and_a_tampered_copy_is_refused(
        pool: asyncpg.Pool, dsn: str) -> None:
    fund, _, _, recorded = await _disclosed_fund(pool)
    for name in ("funds", "fund_movements", "fund_disclosures"):
        await catch_up(dsn, PROJECTIONS[name])
    row = await pool.fetchrow("SELECT * FROM fund_disclosures WHERE fund_id = $1", fund)
    assert (row["period"], row["digest"], str(row["closing_balance"]), row["place"]) == (
        "2026-H1", recorded, "44500.00", "御窑社区公示栏")
    assert await pool.fetchval("SELECT version FROM funds WHERE id = $1", fund) == row["version"]
    assert await pool.fetchval("SELECT movement IS NULL AND amount = 0 FROM fund_movements"
                               " WHERE fund_id = $1 AND version = $2", fund, row["version"])

    checked = await verify(pool, fund, "2026-H1")
    assert checked is not None and checked.ok and not checked.changed_since
    [check] = checked.checks
    assert check.recomputed == recorded == checked.current

    events = await fund_events(pool, fund)
    table = table_of(fund, [(e.version, e.event_type, e.payload) for e in events], checked.period,
                     check.disclosure.covers_version)
    published = json.dumps(table, ensure_ascii=False, indent=1).encode("utf-8")  # as posted on the website
    assert digest(table) == recorded
    assert (await verify(pool, fund, "2026-H1", published)).published_matches == check.disclosure  # type: ignore[union-attr]
    tampered = json.loads(published)
    tampered["movements"][1]["amount"] = "-250.00"  # 2,500 paid, 250 shown
    refused = await verify(pool, fund, "2026-H1", json.dumps(tampered, ensure_ascii=False).encode())
    assert refused is not None and refused.published_matches is None and not refused.ok
    assert refused.log_matches  # the log itself still agrees with what it recorded


async def test_the_command_line_writes_the_table_and_verifies_a_published_file(
        pool: asyncpg.Pool, dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fund, finance, second, recorded = await _disclosed_fund(pool)
    monkeypatch.setenv("DATABASE_URL", dsn)
    monkeypatch.setenv("GRASSROOTS_JWT_SECRET", "cli-secret-" + "d" * 40)
    cli = CliRunner()
    posted = tmp_path / "2026-H1.json"

    def run(*args: str) -> tuple[int, str]:
        out = cli.invoke(app, ["fund", *args])
        return out.exit_code, out.output

    code, _ = await asyncio.to_thread(run, "disclosure", str(fund), "--period", "2026-H1", "--format", "json",
                                      "-o", str(posted))
    assert code == 0 and digest(json.loads(posted.read_bytes())) == recorded
    assert canonical(json.loads(posted.read_bytes())) == posted.read_bytes()
    code, output = await asyncio.to_thread(run, "disclosure-verify", str(fund), str(posted), "--period", "2026-H1")
    assert code == 0, output
    assert f"digest {recorded}: ok" in output and "the table disclosed at version" in output

    copy = tmp_path / "copy.json"
    copy.write_bytes(posted.read_bytes().replace("御窑文化站".encode(), "御窑文化中心".encode(), 1))
    code, output = await asyncio.to_thread(run, "disclosure-verify", str(fund), str(copy), "--period", "2026-H1")
    assert code == 1 and "MISMATCH: no disclosure of the period has this digest" in output

    # A correction, then the period disclosed again: both disclosures stay, the old file
    # still proves the first one.
    uc = commands(pool, Clock(datetime(2026, 7, 20, 9, 0, tzinfo=UTC)))
    await uc.reverse_payment(_req(finance), fund, second, "收款方退回", date(2026, 6, 30))
    code, output = await asyncio.to_thread(run, "disclosure-verify", str(fund), "--period", "2026-H1")
    assert code == 0 and "a correction since the latest disclosure" in output
    again = await uc.record_fund_disclosure(_req(finance), fund, "2026-H1", date(2026, 7, 20), "御窑社区公示栏")
    assert again.extra["digest"] != recorded
    code, output = await asyncio.to_thread(run, "disclosure-verify", str(fund), str(posted), "--period", "2026-H1")
    assert code == 0 and output.count(": ok") == 2 and "correction" not in output


async def test_the_csv_export_carries_sources_grants_findings_and_disclosures(pool: asyncpg.Pool, dsn: str) -> None:
    fund, _, _, recorded = await _disclosed_fund(pool)
    uc = commands(pool, Clock(datetime(2026, 7, 8, 9, 0, tzinfo=UTC)))
    await catch_up(dsn, PROJECTIONS["organizations"])
    row = await pool.fetchrow("SELECT o.parent_id AS street, o.id FROM organizations o JOIN events e"
                              " ON e.stream_id = $1 AND e.version = 1 AND o.id = (e.payload->>'organization_id')::uuid",
                              fund)
    street_finance = Actor("finance-yuanhe", "F", frozenset({Role.FINANCE_OFFICER}), row["street"])
    street_admin = Actor("street-yuanhe", "S", frozenset({Role.STREET_ADMIN}), row["street"])
    red = (await uc.open_fund(_req(street_finance), row["street"], 2026, FundKind.RED_FUND)).id
    await uc.allocate_funds(_req(street_finance), red, "6000.00", AllocationSource.DONATION, date(2026, 3, 2),
                            "捐赠协议 3")
    await uc.grant_from_red_fund(_req(street_finance), red, fund, "4000.00", date(2026, 7, 1), "元街〔2026〕7号")
    inspection = (await uc.open_inspection(_req(street_admin), "半年专项检查", None, fund, date(2026, 7, 7))).id
    await uc.record_inspection_finding(_req(street_admin), inspection, "凭证附件不全", Severity.MINOR, fund,
                                       category=FindingCategory.FALSE_CLAIM, rectify_by=date(2026, 8, 7))
    for name in ("organizations", "funds", "fund_movements", "inspections"):
        await catch_up(dsn, PROJECTIONS[name])
    async with pool.acquire() as conn:
        text = "".join([line async for line in csv_lines(conn, Selection(None, row["street"], None, None))])
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    by_type = {(r["fund_id"] or r["event_type"], r["event_type"]): r for r in rows}
    donation = by_type[(str(red), "Fund.Allocated")]
    assert (donation["source"], donation["amount"]) == ("DONATION", "6000.00")
    out, into = by_type[(str(red), "Fund.GrantMade")], by_type[(str(fund), "Fund.GrantReceived")]
    assert (out["movement"], out["counterpart_fund_id"]) == ("GRANT_OUT", str(fund))
    assert (into["movement"], into["source"], into["counterpart_fund_id"]) == ("GRANT_IN", "RED_FUND_GRANT", str(red))
    finding = by_type[("Inspection.FindingRecorded", "Inspection.FindingRecorded")]
    assert (finding["finding_category"], finding["rectify_by"]) == ("FALSE_CLAIM", "2026-08-07")
    assert finding["finding_id"]
    disclosed = by_type[(str(fund), "Fund.PeriodDisclosed")]
    assert (disclosed["period"], disclosed["digest"], disclosed["movement"]) == ("2026-H1", recorded, "")
