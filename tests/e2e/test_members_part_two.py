"""Members, part two, as a new user tries it over real HTTP (issue 13's "Done means").

Built so far: exits. A member is removed in two recorded steps (the branch general
meeting at the member's home, then the level above) and the emptied branch is then
dissolved; the removed member leaves the roster and ``memberCount`` but keeps the record
and its history. Dues: a member's dues are fixed for the year from the declared income
and three months are paid; and with the server's clock moved on six months, another
member shows up flagged for review with the evidence.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.config import Settings
from domain.shared.permissions import Role
from tests.e2e.conftest import SECRET, Server
from tests.e2e.test_transfer_walkthrough import build_tree, establish, register
from tests.idnumbers import id_number

MEMBER = "member { id exit { kind on reference } pendingRemoval { decidedOn decisionReference } }"


async def member_step(server, token, mutation, **fields):  # type: ignore[no-untyped-def]
    name = mutation[0].upper() + mutation[1:]
    query = f"""mutation($input: {name}Input!) {{ {mutation}(input: $input) {{ __typename
        ... on MemberPayload {{ {MEMBER} }} ... on Error {{ code message field }} }} }}"""
    return (await server.ok(token, query, {"input": fields}))[mutation]


async def test_remove_a_member_in_two_steps_then_dissolve_the_emptied_branch(server):  # type: ignore[no-untyped-def]
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    _, street, east, _ = await build_tree(server, admin)
    branch = await establish(server, admin, kind="GRID_BRANCH", name="第五网格党支部", parentId=east)
    member = await register(server, admin, branch, name="钱国华", serial=41)
    branch_secretary = server.token(Role.COMMUNITY_SECRETARY, scope=branch, subject="grid-secretary")
    street_admin = server.token(Role.STREET_ADMIN, scope=street, subject="street-admin")

    refused = (await server.ok(admin, """mutation($id: ID!) { dissolveOrganization(input: {id: $id,
        reason: "并入第四网格"}) { __typename } }""", {"id": branch}))["dissolveOrganization"]
    assert refused["__typename"] == "OrganizationNotEmpty"

    proposed = await member_step(server, branch_secretary, "proposeMemberRemoval", id=member,
                                 decidedOn="2026-01-20", decisionReference="五网格支部〔2026〕1号",
                                 reason="连续六个月不参加组织生活、不交纳党费")
    assert proposed["member"]["pendingRemoval"] == {"decidedOn": "2026-01-20",
                                                    "decisionReference": "五网格支部〔2026〕1号"}
    assert proposed["member"]["exit"] is None
    own = await member_step(server, branch_secretary, "approveMemberRemoval", id=member)
    assert own["__typename"] == "NotAuthorized"  # the level above decides, not the branch itself
    approved = await member_step(server, street_admin, "approveMemberRemoval", id=member,
                                 approvedOn="2026-01-27")
    assert approved["member"]["exit"] == {"kind": "REMOVAL", "on": "2026-01-27",
                                          "reference": "五网格支部〔2026〕1号"}
    assert approved["member"]["pendingRemoval"] is None
    again = await member_step(server, street_admin, "approveMemberRemoval", id=member)
    assert again["__typename"] == "MemberExited"

    data = await server.ok(admin, """query($b: ID!, $m: ID!) {
        roster: members(filter: {within: $b}) { edges { node { id } } }
        exited: members(filter: {within: $b, exited: true}) { edges { node { id exit { kind } } } }
        organization(id: $b) { memberCount }
        history(streamId: $m) { edges { node { type actor } } } }""", {"b": branch, "m": member})
    assert data["roster"]["edges"] == []
    assert [e["node"]["id"] for e in data["exited"]["edges"]] == [member]
    assert data["organization"]["memberCount"] == 0
    assert [(e["node"]["type"], e["node"]["actor"]) for e in data["history"]["edges"]] == [
        ("Member.Registered", "district-admin"),
        ("Member.RemovalProposed", "grid-secretary"),
        ("Member.RemovalApproved", "street-admin"),
    ]

    dissolved = (await server.ok(admin, """mutation($id: ID!) { dissolveOrganization(input: {id: $id,
        reason: "并入第四网格"}) { __typename ... on OrganizationPayload { organization { status } } } }""",
        {"id": branch}))["dissolveOrganization"]
    assert dissolved["organization"]["status"] == "DISSOLVED"


TRANSFER = ("transfer { id state scope letterSerial toOrganization { id } toExternal { name code province city }"
            " member { id exit { kind on reference } } }")


async def transfer_step(server, token, mutation, **fields):  # type: ignore[no-untyped-def]
    name = mutation[0].upper() + mutation[1:]
    query = f"""mutation($input: {name}Input!) {{ {mutation}(input: $input) {{ __typename
        ... on TransferPayload {{ {TRANSFER} }} ... on Error {{ code message field }} }} }}"""
    return (await server.ok(token, query, {"input": fields}))[mutation]


async def test_transfer_a_member_out_to_another_province(server):  # type: ignore[no-untyped-def]
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    _, _, east, _ = await build_tree(server, admin)
    member = await register(server, admin, east, name="吴晓东", serial=42)
    sender = server.token(Role.COMMUNITY_SECRETARY, scope=east, subject="east-secretary")
    nanshan = {"name": "深圳市南山区粤海街道科技园社区党委", "code": "440305007001", "province": "广东省",
               "city": "深圳市"}

    contradicted = await transfer_step(server, sender, "requestMemberTransfer", memberId=member,
                                       toExternal=nanshan, scope="OUTSIDE_CITY", reason="到深圳工作")
    assert (contradicted["__typename"], contradicted["field"]) == ("ValidationError", "scope")
    requested = await transfer_step(server, sender, "requestMemberTransfer", memberId=member,
                                    toExternal=nanshan, scope="ACROSS_PROVINCES", reason="到深圳工作")
    assert requested["transfer"]["toOrganization"] is None
    assert requested["transfer"]["toExternal"] == nanshan
    transfer = requested["transfer"]["id"]
    issued = await transfer_step(server, sender, "issueTransferLetter", transferId=transfer)
    serial = issued["transfer"]["letterSerial"]
    assert serial and issued["transfer"]["state"] == "LETTER_ISSUED"
    refused = await transfer_step(server, sender, "acceptMemberTransfer", transferId=transfer)
    assert refused["__typename"] == "TransferNotAllowed"

    before = await server.ok(admin, """query($c: ID!) { members(filter: {within: $c}) { edges { node { id } } }
        organization(id: $c) { memberCount } }""", {"c": east})
    assert [e["node"]["id"] for e in before["members"]["edges"]] == [member]

    received = await transfer_step(server, sender, "confirmTransferReceipt", transferId=transfer)
    assert received["transfer"]["state"] == "RECEIPT_CONFIRMED"
    assert received["transfer"]["member"]["exit"]["kind"] == "TRANSFERRED_OUT"
    assert received["transfer"]["member"]["exit"]["reference"] == serial

    after = await server.ok(admin, """query($c: ID!, $t: ID!) {
        members(filter: {within: $c}) { edges { node { id } } }
        gone: members(filter: {within: $c, exited: true}) { edges { node { id } } }
        organization(id: $c) { memberCount }
        transfer(id: $t) { history { type actor } } }""", {"c": east, "t": transfer})
    assert after["members"]["edges"] == []
    assert [e["node"]["id"] for e in after["gone"]["edges"]] == [member]
    assert after["organization"]["memberCount"] == 0
    assert [h["type"] for h in after["transfer"]["history"]] == [
        "Member.ExternalTransferRequested", "Member.TransferLetterIssued", "Member.TransferredOut"]


async def test_reissue_a_lost_letter_and_fail_to_accept_the_voided_one(server):  # type: ignore[no-untyped-def]
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    _, _, east, west = await build_tree(server, admin)
    member = await register(server, admin, east, name="郑丽华", serial=43)
    sender = server.token(Role.COMMUNITY_SECRETARY, scope=east, subject="east-secretary")
    receiver = server.token(Role.COMMUNITY_SECRETARY, scope=west, subject="west-secretary")
    transfer = (await transfer_step(server, sender, "requestMemberTransfer", memberId=member, toOrganizationId=west,
                                    scope="WITHIN_CITY", reason="搬家"))["transfer"]["id"]
    issued = await transfer_step(server, sender, "issueTransferLetter", transferId=transfer)
    lost = issued["transfer"]["letterSerial"]
    reissued = await server.ok(sender, """mutation($t: ID!) { reissueTransferLetter(input: {transferId: $t,
        reason: "本人遗失介绍信"}) { __typename
          ... on TransferPayload { transfer { letterSerial voidedSerials } } } }""",
        {"t": transfer})
    new = reissued["reissueTransferLetter"]["transfer"]
    assert new["voidedSerials"] == [lost] and new["letterSerial"] != lost

    voided = await transfer_step(server, receiver, "acceptMemberTransfer", transferId=transfer, letterSerial=lost)
    assert (voided["__typename"], voided["field"]) == ("LetterVoided", "letterSerial")
    accepted = await transfer_step(server, receiver, "acceptMemberTransfer", transferId=transfer,
                                   letterSerial=new["letterSerial"])
    assert accepted["transfer"]["state"] == "ACCEPTED"


@dataclass
class Clock:
    """The server's clock, moved by the test (the domain and the queries read it)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def clocked(dsn: str, tmp_path: Path) -> AsyncIterator[tuple[Server, Clock]]:
    clock = Clock()
    settings = Settings(database_url=dsn, data_dir=tmp_path, jwt_secret=SECRET)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(create_app(settings, dsn, clock=clock), log_level="warning",
                                        lifespan="on"))
    task = asyncio.create_task(srv.serve(sockets=[sock]))
    while not srv.started:
        await asyncio.sleep(0.02)
    async with httpx.AsyncClient(timeout=30) as client:
        yield Server(f"http://127.0.0.1:{sock.getsockname()[1]}", client), clock
    srv.should_exit = True
    await task
    sock.close()


REGISTER = """mutation($input: RegisterMemberInput!) { registerMember(input: $input) { __typename
    ... on MemberPayload { member { id } } ... on Error { code message } } }"""
DUES = ("member { id duesPaidThrough dues { paidThrough years { year category declaredIncome basis monthlyAmount }"
        " payments(year: 2026) { firstMonth throughMonth months amount } } }")


async def registered(server: Server, token: str, home: str, name: str, serial: int, paid_through: str) -> str:
    data = await server.ok(token, REGISTER, {"input": {
        "name": name, "gender": "MALE", "birthDate": "1975-10-02", "ethnicity": "汉族",
        "idNumber": id_number("320508197510020", serial), "standing": "FULL", "joinedOn": "2001-07-01",
        "homeOrganizationId": home, "duesPaidThrough": paid_through}})
    assert data["registerMember"]["__typename"] == "MemberPayload", data
    return str(data["registerMember"]["member"]["id"])


async def dues_step(server, token, mutation, **fields):  # type: ignore[no-untyped-def]
    name = mutation[0].upper() + mutation[1:]
    query = f"""mutation($input: {name}Input!) {{ {mutation}(input: $input) {{ __typename
        ... on MemberPayload {{ {DUES} }} ... on Error {{ code message field }} }} }}"""
    return (await server.ok(token, query, {"input": fields}))[mutation]


async def test_fix_a_members_dues_for_the_year_from_income_and_pay_three_months(
        clocked: tuple[Server, Clock]) -> None:
    server, _ = clocked
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    _, street, east, _ = await build_tree(server, admin)
    secretary = server.token(Role.COMMUNITY_SECRETARY, scope=east, subject="east-secretary")
    member = await registered(server, admin, east, "蒋国栋", 61, "2025-12-01")

    assessed = await dues_step(server, secretary, "assessMemberDues", id=member, year=2026, category="EMPLOYED",
                               declaredIncome="8000.00")
    assert assessed["member"]["dues"]["years"] == [{"year": 2026, "category": "EMPLOYED",
                                                    "declaredIncome": "8000.00", "basis": "1.5% of 8000.00",
                                                    "monthlyAmount": "120.00"}]
    short = await dues_step(server, secretary, "recordDuesPayment", id=member, months=3, amount="300.00")
    assert (short["__typename"], short["field"]) == ("ValidationError", "amount")
    paid = await dues_step(server, secretary, "recordDuesPayment", id=member, months=3, amount="360.00")
    assert paid["member"]["duesPaidThrough"] == paid["member"]["dues"]["paidThrough"] == "2026-03-01"
    assert paid["member"]["dues"]["payments"] == [{"firstMonth": "2026-01-01", "throughMonth": "2026-03-01",
                                                   "months": 3, "amount": "360.00"}]

    auditor = server.token(Role.AUDITOR, scope=street, subject="auditor")
    seen = await server.ok(auditor, "query($id: ID!) { member(id: $id) { dues { years { declaredIncome"
                                    " monthlyAmount } } } }", {"id": member})
    (year,) = seen["member"]["dues"]["years"]
    assert set(year["declaredIncome"]) == {"*"} and year["monthlyAmount"] == "120.00"
    collected = await server.ok(secretary, "query($o: ID!) { duesCollection(organizationId: $o, year: 2026)"
                                           " { month amount payments } }", {"o": east})
    assert collected["duesCollection"] == [{"month": "2026-01-01", "amount": "360.00", "payments": 1}]


FLAGGED = """query($c: ID!) { members(filter: {within: $c, flaggedForReview: true}) { edges { node { id
    reviewFlag { inactiveSince months lastPartyLifeOn lastAssignedWorkOn lastDuesPaidOn duesPaidThrough } } } } }"""


async def test_let_six_months_pass_for_another_member_and_see_the_review_flag_with_its_evidence(
        clocked: tuple[Server, Clock]) -> None:
    server, clock = clocked
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    _, _, east, _ = await build_tree(server, admin)
    secretary = server.token(Role.COMMUNITY_SECRETARY, scope=east, subject="east-secretary")
    keeps_up = await registered(server, admin, east, "曹丽君", 62, "2025-12-01")
    drifts = await registered(server, admin, east, "魏志刚", 63, "2026-01-01")
    await dues_step(server, secretary, "assessMemberDues", id=keeps_up, year=2026, category="RETIRED",
                    declaredIncome="4200.00")
    attended = await dues_step(server, secretary, "recordMemberActivity", id=drifts, kind="PARTY_LIFE",
                               on="2026-01-04", description="一月支部党员大会")
    assert attended["__typename"] == "MemberPayload"
    assert (await server.ok(secretary, FLAGGED, {"c": east}))["members"]["edges"] == []

    clock.now = datetime(2026, 6, 20, 9, 0, tzinfo=UTC)
    await dues_step(server, secretary, "recordDuesPayment", id=keeps_up, months=6, amount="126.00")
    clock.now = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)  # February to July: six full months
    flagged = (await server.ok(secretary, FLAGGED, {"c": east}))["members"]["edges"]
    assert flagged == [{"node": {"id": drifts, "reviewFlag": {
        "inactiveSince": "2026-02-01", "months": 6, "lastPartyLifeOn": "2026-01-04", "lastAssignedWorkOn": None,
        "lastDuesPaidOn": None, "duesPaidThrough": "2026-01-01"}}}]
    member = await server.ok(secretary, "query($id: ID!) { member(id: $id) { exit { kind } reviewFlag { months } } }",
                             {"id": drifts})
    assert member["member"] == {"exit": None, "reviewFlag": {"months": 6}}  # a flag, never a removal
