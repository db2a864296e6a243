"""Funds over real HTTP, as a finance officer, a street admin and an auditor use them."""

from __future__ import annotations

from typing import Any

from domain.shared.permissions import Role
from tests.e2e.test_transfer_walkthrough import build_tree

FUND_FIELDS = "id year kind status allocated paid committed balance available version"
PROJECT_RESULT = f"""__typename
  ... on ProjectPayload {{ paymentId project {{ id state amount approvedAmount paid }} fund {{ {FUND_FIELDS} }} }}
  ... on Error {{ code message field }}"""


async def mutate(server, token: str, name: str, fields: dict[str, Any], result: str = PROJECT_RESULT):  # type: ignore[no-untyped-def]
    type_name = name[0].upper() + name[1:] + "Input"
    data = await server.ok(token, f"mutation($input: {type_name}!) {{ {name}(input: $input) {{ {result} }} }}",
                           {"input": fields})
    return data[name]


FUND_RESULT = f"__typename ... on FundPayload {{ fund {{ {FUND_FIELDS} }} }} ... on Error {{ code message field }}"


async def community_fund(server):  # type: ignore[no-untyped-def]
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    district, street, east, west = await build_tree(server, admin)
    finance = server.token(Role.FINANCE_OFFICER, scope=east, subject="finance-east")
    street_admin = server.token(Role.STREET_ADMIN, scope=street, subject="street-admin")
    opened = await mutate(server, finance, "openFund",
                          {"organizationId": east, "year": 2026, "kind": "SERVICE_FUND"}, FUND_RESULT)
    assert opened["__typename"] == "FundPayload", opened
    fund = opened["fund"]["id"]
    for amount, source, on, doc in (("120000.00", "FISCAL_BUDGET", "2026-01-15", "苏财〔2026〕3号"),
                                    ("30000.00", "DUES_ALLOCATION", "2026-07-10", "党费〔2026〕7号")):
        out = await mutate(server, finance, "allocateFunds", {
            "fundId": fund, "amount": amount, "source": source, "effectiveOn": on,
            "documentNo": doc}, FUND_RESULT)
        assert out["__typename"] == "FundPayload", out
    return {"district": district, "street": street, "east": east, "west": west, "fund": fund,
            "finance": finance, "street_admin": street_admin, "admin": admin}


async def decided_project(server, w, amount="20000.00", title="老年助餐点"):  # type: ignore[no-untyped-def]
    out = await mutate(server, w["finance"], "proposeProject", {
        "fundId": w["fund"], "category": "PUBLIC_SERVICE", "title": title, "amount": amount,
        "purpose": "为独居老人提供午餐", "beneficiaries": "独居老人 42 人"})
    assert out["__typename"] == "ProjectPayload", out
    pid = out["project"]["id"]
    out = await mutate(server, w["finance"], "recordProjectDecision", {
        "projectId": pid, "meetingOn": "2026-05-20", "attendees": ["王书记", "李委员", "张委员"],
        "resolution": "同意实施"})
    assert out["project"]["state"] == "DECIDED", out
    return pid


async def test_a_project_moves_money_exactly_and_an_auditor_replays_the_fund(server) -> None:  # type: ignore[no-untyped-def]
    w = await community_fund(server)
    pid = await decided_project(server, w)
    approved = await mutate(server, w["street_admin"], "approveProject", {"projectId": pid})
    assert approved["fund"]["committed"] == "20000.00"
    assert approved["fund"]["available"] == "130000.00"
    first = await mutate(server, w["finance"], "recordPayment", {
        "projectId": pid, "amount": "10000.00", "paidOn": "2026-06-20", "payee": "平江餐饮公司",
        "voucherNo": "PZ-0620"})
    assert first["fund"]["balance"] == "140000.00" and first["project"]["paid"] == "10000.00"
    second = await mutate(server, w["finance"], "recordPayment", {
        "projectId": pid, "amount": "5000.00", "paidOn": "2026-07-05", "payee": "平江餐饮公司",
        "voucherNo": "PZ-0705"})
    reversed_ = await mutate(server, w["finance"], "reversePayment", {
        "fundId": w["fund"], "paymentId": second["paymentId"], "reason": "重复支付",
        "reversedOn": "2026-07-06"})
    assert reversed_["fund"]["balance"] == "140000.00", reversed_
    assert reversed_["fund"]["committed"] == "10000.00"

    auditor = server.token(Role.AUDITOR, scope=w["district"], subject="auditor-1")
    data = await server.ok(auditor, """query($id: ID!) { fund(id: $id) {
        balanceOn(date: "2026-06-30")
        ledger(first: 50) { edges { node { movement amount balanceAfter businessDate reference } } }
        history(first: 50) { edges { node { balanceAfter amount
            event { type actor actorRoles reason correlationId recordedAt } } } } } }""",
                           {"id": w["fund"]})
    fund = data["fund"]
    assert fund["balanceOn"] == "110000.00"
    ledger = [e["node"] for e in fund["ledger"]["edges"]]
    assert [(m["movement"], m["amount"], m["balanceAfter"]) for m in ledger] == [
        ("ALLOCATION", "120000.00", "120000.00"), ("ALLOCATION", "30000.00", "150000.00"),
        ("PAYMENT", "-10000.00", "140000.00"), ("PAYMENT", "-5000.00", "135000.00"),
        ("REVERSAL", "5000.00", "140000.00")]
    history = [e["node"] for e in fund["history"]["edges"]]
    approval = next(h for h in history if h["event"]["type"] == "Fund.ProjectApproved")
    assert approval["event"]["actor"] == "street-admin"
    assert approval["event"]["actorRoles"] == ["street_admin"]
    reversal = history[-1]
    assert reversal["event"]["reason"] == "重复支付" and reversal["balanceAfter"] == "140000.00"
    assert all(h["event"]["correlationId"] for h in history)

    # As of the instant just after the first payment was recorded: replayed from the log.
    paid_at = next(h for h in history if h["event"]["type"] == "Fund.PaymentRecorded")["event"]["recordedAt"]
    data = await server.ok(auditor, """query($id: ID!, $at: DateTime!) { fund(id: $id) {
        asOf(at: $at) { balance committed paid projects { state paid } } } }""",
                           {"id": w["fund"], "at": paid_at})
    assert data["fund"]["asOf"] == {"balance": "140000.00", "committed": "10000.00",
                                    "paid": "10000.00",
                                    "projects": [{"state": "APPROVED", "paid": "10000.00"}]}


async def test_salaries_and_overspending_get_typed_errors_and_record_nothing(server) -> None:  # type: ignore[no-untyped-def]
    w = await community_fund(server)
    before = (await server.ok(w["finance"], "query($id: ID!) { fund(id: $id) { version } }",
                              {"id": w["fund"]}))["fund"]["version"]
    salary = await mutate(server, w["finance"], "proposeProject", {
        "fundId": w["fund"], "category": "STAFF_PAY", "title": "社工工资", "amount": "8000.00",
        "purpose": "发放社区工作者三月工资", "beneficiaries": "社工 4 人"})
    assert salary["__typename"] == "ForbiddenPurpose" and salary["code"] == "FORBIDDEN_PURPOSE"
    pid = await decided_project(server, w, amount="200000.00", title="社区花园")
    overspend = await mutate(server, w["street_admin"], "approveProject", {"projectId": pid})
    assert overspend["__typename"] == "InsufficientFunds", overspend
    assert "150000.00 is available" in overspend["message"]
    after = (await server.ok(w["finance"], "query($id: ID!) { fund(id: $id) { version committed } }",
                             {"id": w["fund"]}))["fund"]
    # Only the proposal and its decision were recorded; the refusals appended nothing.
    assert after == {"version": before + 2, "committed": "0.00"}
    float_amount = await server.gql(w["finance"], """mutation($fund: ID!) { allocateFunds(input: {fundId: $fund,
        amount: 0.1, source: FISCAL_BUDGET, effectiveOn: "2026-03-01", documentNo: "x"}) {
        __typename ... on Error { code field } } }""", {"fund": w["fund"]})
    assert float_amount.json()["data"]["allocateFunds"] == {"__typename": "ValidationError",
                                                            "code": "INVALID_INPUT", "field": "amount"}


async def test_auditors_read_but_change_nothing_and_see_shortfalls(server) -> None:  # type: ignore[no-untyped-def]
    w = await community_fund(server)
    auditor = server.token(Role.AUDITOR, scope=w["district"], subject="auditor-2")
    refused = await mutate(server, auditor, "allocateFunds", {
        "fundId": w["fund"], "amount": "1.00", "source": "FISCAL_BUDGET", "effectiveOn": "2026-03-01",
        "documentNo": "x"}, FUND_RESULT)
    assert refused["__typename"] == "NotAuthorized"
    data = await server.ok(auditor, """{ fundShortfalls(year: 2026) { organization { name }
        allocated minimum shortfall fundId } }""")
    assert data["fundShortfalls"] == [{"organization": {"name": "钮家巷社区党支部"}, "allocated": "0.00",
                                       "minimum": "120000.00", "shortfall": "120000.00", "fundId": None}]
    nodes = await server.ok(auditor, "query($id: ID!) { node(id: $id) { __typename id } }",
                            {"id": w["fund"]})
    assert nodes["node"] == {"__typename": "Fund", "id": w["fund"]}
    other_street = server.token(Role.FINANCE_OFFICER, scope=w["west"], subject="finance-west")
    hidden = await server.ok(other_street, "query($id: ID!) { fund(id: $id) { id } }", {"id": w["fund"]})
    assert hidden["fund"] is None
