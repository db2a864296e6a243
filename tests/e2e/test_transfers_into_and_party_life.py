"""Transfers, completed, and Party life, as a new user tries them over real HTTP (issue 13).

One server with the approval step on everywhere (``GRASSROOTS_TRANSFER_APPROVAL=all``),
two required kinds of meeting (theme day monthly, lecture quarterly) and a clock the test
moves: an incoming letter from another province is registered and accepted (and the same
person cannot be registered twice); a transfer waits for the level above before its
letter, is completed, found wrong, and revoked with the level above's approval; the due
lists show the letters about to expire and those waiting too long; a quarter's
``partyLife`` shows the one branch behind, and a meeting attended lowers a member's
six-month review flag.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.config import Settings
from domain.members.party_life import parse_requirements
from domain.members.revocation import TransferApproval
from domain.shared.permissions import Role
from tests.e2e.conftest import SECRET, Server
from tests.e2e.test_transfer_walkthrough import build_tree, establish, register
from tests.idnumbers import id_number

TRANSFER = ("id state letterSerial validUntil approvedOn revokedOn revocationReason expiringSoon"
            " fromOrganization { name } fromExternal { name code province city } toOrganization { name }"
            " pendingRevocation { reason proposedByOrganization { name } } member { id homeOrganization { name } }")


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def clocked(dsn: str, tmp_path: Path) -> AsyncIterator[tuple[Server, Clock]]:
    clock = Clock()
    settings = Settings(database_url=dsn, data_dir=tmp_path, jwt_secret=SECRET,
                        transfer_approval=TransferApproval(everywhere=True),
                        members={"party_life_required": parse_requirements(
                            "THEME_DAY:MONTHLY:1,PARTY_LECTURE:QUARTERLY:1")})
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


async def step(server: Server, token: str, mutation: str, **fields: Any) -> dict[str, Any]:
    name = mutation[0].upper() + mutation[1:]
    query = f"""mutation($input: {name}Input!) {{ {mutation}(input: $input) {{ __typename
        ... on TransferPayload {{ transfer {{ {TRANSFER} }} }} ... on Error {{ code message field }} }} }}"""
    result: dict[str, Any] = (await server.ok(token, query, {"input": fields}))[mutation]
    return result


LETTER = {"fromExternal": {"name": "深圳市南山区粤海街道科技园社区党委", "province": "广东省", "city": "深圳市",
                           "code": "440305007001"},
          "scope": "ACROSS_PROVINCES", "letterSerial": "粤组转〔2026〕0417", "issuedOn": "2026-02-25",
          "validUntil": "2026-05-25", "name": "黄嘉欣", "gender": "FEMALE", "birthDate": "1991-04-12",
          "ethnicity": "汉族", "idNumber": id_number("440305199104120", 61), "phone": "13800138000",
          "standing": "FULL", "joinedOn": "2015-06-30", "duesPaidThrough": "2026-02-01"}


async def test_transfers_across_the_edge_with_approval_and_revocation_and_party_life(clocked) -> None:  # type: ignore[no-untyped-def]
    server, clock = clocked
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    _, street, east, west = await build_tree(server, admin)
    west_secretary = server.token(Role.COMMUNITY_SECRETARY, scope=west, subject="west-secretary")
    east_secretary = server.token(Role.COMMUNITY_SECRETARY, scope=east, subject="east-secretary")
    street_admin = server.token(Role.STREET_ADMIN, scope=street, subject="street-admin")

    # Into the system: the receiving side registers the letter from 南山, then accepts it.
    incoming = await step(server, west_secretary, "registerIncomingTransfer", toOrganizationId=west, **LETTER)
    t = incoming["transfer"]
    assert (t["state"], t["fromOrganization"], t["fromExternal"]["code"]) == ("LETTER_ISSUED", None, "440305007001")
    assert t["member"]["homeOrganization"]["name"] == "钮家巷社区党支部"
    twice = await step(server, west_secretary, "registerIncomingTransfer", toOrganizationId=west,
                       **{**LETTER, "letterSerial": "粤组转〔2026〕0418"})
    assert (twice["__typename"], twice["field"]) == ("AlreadyExists", "idNumber")
    accepted = await step(server, west_secretary, "acceptMemberTransfer", transferId=t["id"],
                          letterSerial="粤组转〔2026〕0417")
    assert accepted["transfer"]["state"] == "ACCEPTED"

    # The approval step: the letter waits for the level above the sender.
    mover = await register(server, admin, west, name="许文博", serial=62)
    requested = await step(server, west_secretary, "requestMemberTransfer", memberId=mover, toOrganizationId=east,
                           scope="WITHIN_CITY", reason="搬迁至平江新村")
    tid = requested["transfer"]["id"]
    held = await step(server, west_secretary, "issueTransferLetter", transferId=tid)
    assert held["__typename"] == "ApprovalRequired"
    own = await step(server, west_secretary, "approveMemberTransfer", transferId=tid)
    assert own["__typename"] == "NotAuthorized"
    approved = await step(server, street_admin, "approveMemberTransfer", transferId=tid)
    assert approved["transfer"]["approvedOn"] == "2026-03-02"
    issued = await step(server, west_secretary, "issueTransferLetter", transferId=tid)
    assert issued["transfer"]["state"] == "LETTER_ISSUED"
    await step(server, east_secretary, "acceptMemberTransfer", transferId=tid)

    # Found wrong: the receiving side proposes, the level above both sides revokes.
    proposed = await step(server, east_secretary, "proposeTransferRevocation", transferId=tid,
                          byOrganizationId=east, reason="错转: 应为钮家巷社区内部调整")
    assert proposed["transfer"]["pendingRevocation"]["proposedByOrganization"]["name"] == "平江新村社区党委"
    refused = await step(server, east_secretary, "approveTransferRevocation", transferId=tid)
    assert refused["__typename"] == "NotAuthorized"
    revoked = await step(server, street_admin, "approveTransferRevocation", transferId=tid)
    r = revoked["transfer"]
    assert (r["state"], r["revokedOn"], r["revocationReason"], r["pendingRevocation"]) == (
        "REVOKED", "2026-03-02", "错转: 应为钮家巷社区内部调整", None)
    assert r["member"]["homeOrganization"]["name"] == "钮家巷社区党支部"

    # Due lists: a letter about to expire, and letters waiting for the receiver too long.
    slow = await register(server, admin, west, name="蒋立新", serial=63)
    out = await step(server, west_secretary, "requestMemberTransfer", memberId=slow, toOrganizationId=east,
                     scope="WITHIN_CITY", reason="工作调动")
    await step(server, street_admin, "approveMemberTransfer", transferId=out["transfer"]["id"])
    await step(server, west_secretary, "issueTransferLetter", transferId=out["transfer"]["id"], validityDays=10)
    clock.now += timedelta(days=8)
    lists = await server.ok(admin, f"""query {{
        soon: transfers(filter: {{expiringSoon: true}}) {{ edges {{ node {{ {TRANSFER} }} }} }}
        waiting: transfers(filter: {{waitingLongerThan: 7}}) {{ edges {{ node {{ id }} }} }}
        patient: transfers(filter: {{waitingLongerThan: 8}}) {{ edges {{ node {{ id }} }} }} }}""")
    assert [e["node"]["id"] for e in lists["soon"]["edges"]] == [out["transfer"]["id"]]
    assert lists["soon"]["edges"][0]["node"]["expiringSoon"] is True
    assert [e["node"]["id"] for e in lists["waiting"]["edges"]] == [out["transfer"]["id"]]
    assert lists["patient"]["edges"] == []

    # Party life in 2026-Q1: the grid branch held all it must, the west branch is behind.
    grid_branch = await establish(server, admin, kind="GRID_BRANCH", name="第一网格党支部", parentId=east)
    idle = await register(server, admin, west, name="陶丽君", serial=64)  # no dues recorded: flagged
    flag = "query($m: ID!) { member(id: $m) { reviewFlag { months lastPartyLifeOn } } }"
    assert (await server.ok(admin, flag, {"m": idle}))["member"]["reviewFlag"]["lastPartyLifeOn"] is None
    meeting = """mutation($input: RecordPartyLifeMeetingInput!) { recordPartyLifeMeeting(input: $input) {
        __typename ... on PartyLifeMeetingPayload { meeting { kind heldOn attended { id } absentWithLeave { id } } }
        ... on Error { code field } } }"""
    grid_member = await register(server, admin, grid_branch, name="严志刚", serial=65)
    for kind, held_on in (("THEME_DAY", "2026-01-28"), ("THEME_DAY", "2026-02-25"), ("THEME_DAY", "2026-03-06"),
                          ("PARTY_LECTURE", "2026-03-06")):
        done = (await server.ok(admin, meeting, {"input": {"organizationId": grid_branch, "kind": kind,
                                                           "heldOn": held_on, "topic": "学习党章",
                                                           "attended": [grid_member]}}))["recordPartyLifeMeeting"]
        assert done["__typename"] == "PartyLifeMeetingPayload", done
    west_meeting = (await server.ok(west_secretary, meeting, {"input": {
        "organizationId": west, "kind": "THEME_DAY", "heldOn": "2026-02-26", "topic": "二月主题党日",
        "attended": [idle], "absentWithLeave": [slow]}}))["recordPartyLifeMeeting"]
    assert west_meeting["meeting"]["attended"] == [{"id": idle}]
    assert west_meeting["meeting"]["absentWithLeave"] == [{"id": slow}]
    stranger = (await server.ok(west_secretary, meeting, {"input": {
        "organizationId": west, "kind": "THEME_DAY", "heldOn": "2026-02-26", "topic": "二月主题党日",
        "attended": [grid_member]}}))["recordPartyLifeMeeting"]
    assert (stranger["__typename"], stranger["field"]) == ("ValidationError", "attended")

    behind = await server.ok(street_admin, """query($s: ID!) { partyLife(within: $s, period: "2026-Q1") {
        edges { node { organization { name } kind required held } } } }""", {"s": street})
    assert [e["node"] for e in behind["partyLife"]["edges"]] == [
        {"organization": {"name": "钮家巷社区党支部"}, "kind": "PARTY_LECTURE", "required": 1, "held": 0},
        {"organization": {"name": "钮家巷社区党支部"}, "kind": "THEME_DAY", "required": 3, "held": 1}]
    assert (await server.ok(admin, flag, {"m": idle}))["member"]["reviewFlag"] is None  # attended in February
    attended = await server.ok(west_secretary, """query($m: ID!) { partyLifeMeetings(filter: {attendedBy: $m}) {
        edges { node { kind heldOn topic organization { name } } } } }""", {"m": idle})
    assert [e["node"] for e in attended["partyLifeMeetings"]["edges"]] == [
        {"kind": "THEME_DAY", "heldOn": "2026-02-26", "topic": "二月主题党日",
         "organization": {"name": "钮家巷社区党支部"}}]
