"""An audit cycle over real HTTP, as issue 15's "Done means" walks it on one district.

A shortfall names the community whose budget money is short although sponsorship filled
its balance; a payment voucher used twice is refused; an inspection's false-claim finding
gets a deadline, a rectification, a rejection, a second rectification and a verification,
and only then the inspection closes; a year closes with one project carried into next
year's fund; ``balanceOn`` answers differently for one business date as recorded before
and after a reversal; the red fund shows its four sources and a grant into a community's
fund appears on both ledgers. (Dues-money uses, plans and the disclosure sheet are not
built yet.)

Dates lie in 2025 and 2026 up to 1 December 2026, so that every step is "not ahead of
today" whenever the suite runs from then on; the closed year is 2025.
"""

from __future__ import annotations

from typing import Any

from domain.shared.permissions import Role
from tests.e2e.test_funds_auditor import FUND_RESULT, mutate
from tests.e2e.test_transfer_walkthrough import build_tree

INSPECTION_RESULT = """__typename ... on InspectionPayload { findingId inspection { id state } }
  ... on Error { code message field }"""
GRANT_RESULT = """__typename ... on GrantPayload { grantId fund { balance } toFund { balance } }
  ... on Error { code message field }"""
LEDGER = """ledger(first: 50) { edges { node { movement amount balanceAfter businessDate source reference
  projectId paymentId counterpartFundId recordedAt } } }"""


async def fund_of(server, token: str, org: str, year: int, kind: str = "SERVICE_FUND",  # type: ignore[no-untyped-def]
                  money: tuple[tuple[str, str, str], ...] = ()) -> str:
    opened = await mutate(server, token, "openFund", {"organizationId": org, "year": year, "kind": kind},
                          FUND_RESULT)
    assert opened["__typename"] == "FundPayload", opened
    fund: str = opened["fund"]["id"]
    for n, (amount, source, on) in enumerate(money, 1):
        out = await mutate(server, token, "allocateFunds", {
            "fundId": fund, "amount": amount, "source": source, "effectiveOn": on,
            "documentNo": f"平江〔{year}〕{n}号"}, FUND_RESULT)
        assert out["__typename"] == "FundPayload", out
    return fund


async def approved_project(server, finance: str, approver: str, fund: str, title: str,  # type: ignore[no-untyped-def]
                           amount: str, meeting: str) -> str:
    out = await mutate(server, finance, "proposeProject", {
        "fundId": fund, "category": "PUBLIC_SERVICE", "title": title, "amount": amount,
        "purpose": "为社区居民提供服务", "beneficiaries": "居民"})
    assert out["__typename"] == "ProjectPayload", out
    pid: str = out["project"]["id"]
    out = await mutate(server, finance, "recordProjectDecision", {
        "projectId": pid, "meetingOn": meeting, "attendees": ["王书记", "李委员", "张委员"], "resolution": "同意"})
    assert out["project"]["state"] == "DECIDED", out
    out = await mutate(server, approver, "approveProject", {"projectId": pid})
    assert out["project"]["state"] == "APPROVED", out
    return pid


async def ledger(server, token: str, fund: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    data = await server.ok(token, f"query($id: ID!) {{ fund(id: $id) {{ {LEDGER} }} }}", {"id": fund})
    return [e["node"] for e in data["fund"]["ledger"]["edges"]]


async def test_an_auditor_walks_an_audit_cycle_on_one_district(server) -> None:  # type: ignore[no-untyped-def]
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    district, street, east, west = await build_tree(server, admin)
    east_finance = server.token(Role.FINANCE_OFFICER, scope=east, subject="finance-east")
    west_finance = server.token(Role.FINANCE_OFFICER, scope=west, subject="finance-west")
    street_finance = server.token(Role.FINANCE_OFFICER, scope=street, subject="finance-street")
    street_admin = server.token(Role.STREET_ADMIN, scope=street, subject="street-admin")
    inspector = server.token(Role.INSPECTOR, scope=street, subject="inspector-1")
    auditor = server.token(Role.AUDITOR, scope=district, subject="auditor-1")

    # -- the shortfall names the community whose budget money is short -------------------
    fund = await fund_of(server, east_finance, east, 2026, money=(("120000.00", "FISCAL_BUDGET", "2026-01-15"),))
    await fund_of(server, west_finance, west, 2026, money=(("20000.00", "FISCAL_BUDGET", "2026-01-15"),
                                                           ("100000.00", "UNIT_SPONSORSHIP", "2026-02-01")))
    short = (await server.ok(auditor, """query($d: ID!) { fundShortfalls(year: 2026, within: $d) {
        organization { id } allocated counted minimum shortfall } }""", {"d": district}))["fundShortfalls"]
    assert [(s["organization"]["id"], s["allocated"], s["counted"], s["shortfall"]) for s in short] == [
        (west, "120000.00", "20000.00", "100000.00")]

    # -- a payment voucher used twice is refused ------------------------------------------
    meals = await approved_project(server, east_finance, street_admin, fund, "老年助餐点", "30000.00", "2026-02-20")
    paid = await mutate(server, east_finance, "recordPayment", {
        "projectId": meals, "amount": "9000.00", "paidOn": "2026-03-03", "payee": "平江餐饮公司",
        "voucherNo": "记-0012"})
    assert paid["__typename"] == "ProjectPayload", paid
    again = await mutate(server, east_finance, "recordPayment", {
        "projectId": meals, "amount": "9000.00", "paidOn": "2026-03-04", "payee": "平江餐饮公司",
        "voucherNo": "记－００１２ "})
    assert (again["__typename"], again["field"]) == ("VoucherAlreadyUsed", "voucherNo"), again

    # -- balanceOn as recorded before and after a reversal ----------------------------------
    reversal = await mutate(server, east_finance, "reversePayment", {
        "fundId": fund, "paymentId": paid["paymentId"], "reason": "票据不合规，退回重付", "reversedOn": "2026-03-10"})
    assert reversal["__typename"] == "ProjectPayload", reversal
    lines = await ledger(server, auditor, fund)
    payment_at = next(m["recordedAt"] for m in lines if m["movement"] == "PAYMENT")
    reversal_at = next(m["recordedAt"] for m in lines if m["movement"] == "REVERSAL")
    asked = (await server.ok(auditor, """query($id: ID!, $k1: DateTime!, $k2: DateTime!) { fund(id: $id) {
        before: balanceOn(date: "2026-03-31", asRecordedAt: $k1)
        after: balanceOn(date: "2026-03-31", asRecordedAt: $k2)
        now: balanceOn(date: "2026-03-31") } }""", {"id": fund, "k1": payment_at, "k2": reversal_at}))["fund"]
    assert (asked["before"], asked["after"], asked["now"]) == ("111000.00", "120000.00", "120000.00")

    # -- an inspection with teeth: deadline, rectification, rejection, again, verification --
    opened = await mutate(server, street_admin, "openInspection", {"title": "2026 年专项督查", "fundId": fund},
                          INSPECTION_RESULT)
    inspection = opened["inspection"]["id"]
    finding = (await mutate(server, street_admin, "recordInspectionFinding", {
        "inspectionId": inspection, "description": "助餐人数虚报 6 人", "severity": "MAJOR",
        "category": "FALSE_CLAIM", "rectifyBy": "2026-12-31", "projectIds": [meals]},
        INSPECTION_RESULT))["findingId"]
    ids = {"inspectionId": inspection, "findingId": finding}
    early = await mutate(server, street_admin, "closeInspection", {"inspectionId": inspection,
                                                                  "conclusion": "结束"}, INSPECTION_RESULT)
    assert early["__typename"] == "InspectionNotAllowed", early
    first = await mutate(server, east_finance, "recordRectification", {**ids, "description": "已核减名单"},
                         INSPECTION_RESULT)
    assert first["__typename"] == "InspectionPayload", first
    rejected = await mutate(server, inspector, "rejectRectification", {**ids, "reason": "未附签到表"},
                            INSPECTION_RESULT)
    assert rejected["__typename"] == "InspectionPayload", rejected
    second = await mutate(server, east_finance, "recordRectification", {
        **ids, "description": "已核减名单并附签到表"}, INSPECTION_RESULT)
    assert second["__typename"] == "InspectionPayload", second
    verified = await mutate(server, inspector, "verifyRectification", ids, INSPECTION_RESULT)
    assert verified["__typename"] == "InspectionPayload", verified
    closed = await mutate(server, street_admin, "closeInspection", {"inspectionId": inspection,
                                                                   "conclusion": "整改到位"}, INSPECTION_RESULT)
    assert closed["inspection"]["state"] == "CLOSED", closed
    seen = (await server.ok(auditor, """query($id: ID!) { inspection(id: $id) {
        findings { category state rejections rectifyBy } } }""", {"id": inspection}))["inspection"]
    assert seen["findings"] == [{"category": "FALSE_CLAIM", "state": "VERIFIED", "rejections": 1,
                                 "rectifyBy": "2026-12-31"}]

    # -- the year closes with one project carried into next year ----------------------------
    last_year = await fund_of(server, east_finance, east, 2025, money=(("50000.00", "FISCAL_BUDGET", "2025-01-10"),))
    carried = await approved_project(server, east_finance, street_admin, last_year, "楼道照明改造", "10000.00",
                                     "2025-03-01")
    out = await mutate(server, east_finance, "recordPayment", {
        "projectId": carried, "amount": "4000.00", "paidOn": "2025-06-01", "payee": "平江电器行",
        "voucherNo": "记-2025-061"})
    assert out["__typename"] == "ProjectPayload", out
    pending = await mutate(server, east_finance, "proposeProject", {
        "fundId": last_year, "category": "PARTY_BUILDING", "title": "年末党课", "amount": "500.00",
        "purpose": "组织党员学习", "beneficiaries": "党员"})
    close = {"fundId": last_year, "closedOn": "2025-12-31", "yearEnd": "CARRY_OVER"}
    refused = await mutate(server, east_finance, "closeFiscalYear", close, FUND_RESULT)
    assert refused["__typename"] == "ProjectsStillOpen" and "年末党课" in refused["message"], refused
    await mutate(server, east_finance, "cancelProject", {"projectId": pending["project"]["id"], "reason": "并入明年"})
    done = await mutate(server, east_finance, "closeFiscalYear", close, FUND_RESULT)
    assert (done["__typename"], done["fund"]["status"], done["fund"]["balance"]) == ("FundPayload", "CLOSED", "0.00")
    moved = (await server.ok(auditor, """query($id: ID!) { project(id: $id) {
        state paid approvedAmount fund { id year } } }""", {"id": carried}))["project"]
    assert moved == {"state": "APPROVED", "paid": "4000.00", "approvedAmount": "10000.00",
                     "fund": {"id": fund, "year": 2026}}
    old_lines = [(m["movement"], m["amount"], m["projectId"]) for m in await ledger(server, auditor, last_year)]
    assert old_lines[-2:] == [("CARRY_OUT", "-6000.00", carried), ("CARRY_OUT", "-40000.00", None)]
    new_lines = [(m["movement"], m["amount"], m["projectId"], m["businessDate"])
                 for m in await ledger(server, auditor, fund)]
    assert new_lines[-2:] == [("CARRY_IN", "40000.00", None, "2026-01-01"),
                              ("CARRY_IN", "6000.00", carried, "2026-01-01")]

    # -- the red fund: four sources, and a grant on both ledgers -----------------------------
    red = await fund_of(server, street_finance, street, 2026, "RED_FUND", (
        ("30000.00", "DUES_ALLOCATION", "2026-01-20"), ("50000.00", "FISCAL_SUBSIDY", "2026-02-01"),
        ("15000.00", "UNIT_SPONSORSHIP", "2026-03-01"), ("2000.00", "DONATION", "2026-03-05")))
    sideways = await mutate(server, east_finance, "grantFromRedFund", {
        "fundId": red, "toFundId": fund, "amount": "100.00", "grantedOn": "2026-04-01", "documentNo": "x"},
        GRANT_RESULT)
    assert sideways["__typename"] == "NotAuthorized", sideways
    grant = await mutate(server, street_finance, "grantFromRedFund", {
        "fundId": red, "toFundId": fund, "amount": "12000.00", "grantedOn": "2026-04-01",
        "documentNo": "平街〔2026〕18号", "reason": "助老服务"}, GRANT_RESULT)
    assert (grant["__typename"], grant["fund"]["balance"], grant["toFund"]["balance"]) == (
        "GrantPayload", "85000.00", "178000.00"), grant
    totals = (await server.ok(auditor, """query($o: ID!) { redFund(organizationId: $o) {
        years { year sources { source amount } received granted balance }
        toDate { source amount } received granted } }""", {"o": street}))["redFund"]
    four = [{"source": "DUES_ALLOCATION", "amount": "30000.00"}, {"source": "FISCAL_SUBSIDY", "amount": "50000.00"},
            {"source": "UNIT_SPONSORSHIP", "amount": "15000.00"}, {"source": "DONATION", "amount": "2000.00"}]
    assert totals["years"] == [{"year": 2026, "sources": four, "received": "97000.00", "granted": "12000.00",
                                "balance": "85000.00"}]
    assert (totals["toDate"], totals["received"], totals["granted"]) == (four, "97000.00", "12000.00")
    out_line = [m for m in await ledger(server, auditor, red) if m["movement"] == "GRANT_OUT"]
    in_line = [m for m in await ledger(server, auditor, fund) if m["movement"] == "GRANT_IN"]
    assert [(m["amount"], m["reference"], m["counterpartFundId"]) for m in out_line] == [
        ("-12000.00", "平街〔2026〕18号", fund)]
    assert [(m["amount"], m["source"], m["counterpartFundId"]) for m in in_line] == [
        ("12000.00", "RED_FUND_GRANT", red)]
