"""Every channel answers "may this actor read this" as the queries do, also after a move.

The scenario of the hardening issue (item 8): a member registered in community E
transfers to community B; then E moves from street 1 to street 2. The member now lives
in B (street 1): for street 2, ``member(id)`` is null and ``history`` is refused, while
the transfer stays readable from its sending side E (``transfer(id)`` and its
``history``). The feed must show street 2 exactly that: the transfer's events, and none
of the member's other events. ``GET /events``, the ``events`` subscription, a webhook
scoped to street 2, and the export all agree with the queries, for every token; a
webhook's own events go only to the roles that may read webhooks (``webhook(id)``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import asyncpg

from domain.shared.permissions import Role
from projections.feed.reading import readable_head
from tests.e2e.conftest import Server
from tests.e2e.receiver import app_server, eventually, receiver
from tests.e2e.test_funds_auditor import FUND_RESULT, mutate
from tests.e2e.test_transfer_walkthrough import establish, register, step
from tests.e2e.test_webhooks import REGISTER as REGISTER_WEBHOOK
from tests.e2e.test_webhooks import webhook
from tests.e2e.ws import EVENTS, GUARD, connect
from tests.integration.support import head, wait_until

RENAME = """mutation($input: RenameOrganizationInput!) { renameOrganization(input: $input) {
  __typename ... on OrganizationPayload { position } ... on Error { code message } } }"""
MOVE = """mutation($input: MoveOrganizationInput!) { moveOrganization(input: $input) {
  __typename ... on OrganizationPayload { position } ... on Error { code message } } }"""
CORRECT = """mutation($input: CorrectMemberDetailsInput!) { correctMemberDetails(input: $input) {
  __typename ... on Error { code message } } }"""
READ = """query($m: ID!, $t: ID!, $f: ID!) {
  member(id: $m) { id }
  transfer(id: $t) { id member { id } history { eventId type } }
  fund(id: $f) { id } }"""
HISTORY = """query($m: ID!) { history(streamId: $m, first: 200) { edges { node { eventId type } } } }"""


async def _settled(pool: asyncpg.Pool) -> int:
    top = await head(pool)

    async def reached() -> bool:
        return await readable_head(pool) >= top

    await wait_until(reached, GUARD, "the read models to apply the log")
    return top


async def _poll(server: Server, token: str) -> list[dict[str, Any]]:
    """Every event ``GET /events`` shows this token, following ``next`` to the head."""
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        response = await server.client.get(f"{server.url}/events", params={"after": after, "limit": 50},
                                           headers={"authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        body = response.json()
        events += body["events"]
        if len(body["events"]) < 50:
            return events
        after = body["next"]


async def _queries_show(server: Server, token: str, w: dict[str, str]) -> set[str]:
    """The member's events the queries show this token: the whole stream's ``history``
    if ``member(id)`` is visible, else the ``history`` of each transfer it may read."""
    data = await server.ok(token, READ, {"m": w["member"], "t": w["transfer"], "f": w["fund"]})
    transfer = data["transfer"]
    response = await server.gql(token, HISTORY, {"m": w["member"]})
    body = response.json()
    if data["member"] is None:
        assert body.get("errors") and body.get("data") is None, \
            "history is refused exactly when member(id) is null"
        return {e["eventId"] for e in transfer["history"]} if transfer is not None else set()
    assert transfer is not None and transfer["member"] == data["member"]
    return {e["node"]["eventId"] for e in body["data"]["history"]["edges"]}


async def _scenario(server: Server) -> dict[str, str]:
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    w: dict[str, str] = {"admin": admin}
    w["district"] = await establish(server, admin, kind="DISTRICT_COMMITTEE", name="姑苏区委")
    w["street1"] = await establish(server, admin, kind="STREET_WORKING_COMMITTEE", name="平江街道党工委",
                                   parentId=w["district"], code="320508019000")
    w["street2"] = await establish(server, admin, kind="STREET_WORKING_COMMITTEE", name="观前街道党工委",
                                   parentId=w["district"], code="320508020000")
    w["e"] = await establish(server, admin, kind="COMMUNITY_COMMITTEE", name="平江新村社区党委",
                             parentId=w["street1"], code="320508019001")
    w["b"] = await establish(server, admin, kind="COMMUNITY_COMMITTEE", name="钮家巷社区党委",
                             parentId=w["street1"], code="320508019002")
    finance = server.token(Role.FINANCE_OFFICER, scope=w["e"], subject="finance-e")
    opened = await mutate(server, finance, "openFund",
                          {"organizationId": w["e"], "year": 2026, "kind": "SERVICE_FUND"}, FUND_RESULT)
    assert opened["__typename"] == "FundPayload", opened
    w["fund"] = opened["fund"]["id"]

    w["member"] = await register(server, admin, w["e"])
    corrected = await server.ok(admin, CORRECT, {"input": {
        "id": w["member"], "phone": "13800001111", "reason": "新号码"}})
    assert corrected["correctMemberDetails"]["__typename"] == "MemberPayload", corrected
    sender = server.token(Role.COMMUNITY_SECRETARY, scope=w["e"], subject="e-secretary")
    receiving = server.token(Role.COMMUNITY_SECRETARY, scope=w["b"], subject="b-secretary")
    requested = await step(server, sender, "requestMemberTransfer", memberId=w["member"],
                           toOrganizationId=w["b"], scope="WITHIN_CITY", reason="搬家")
    w["transfer"] = requested["transfer"]["id"]
    assert (await step(server, sender, "issueTransferLetter", transferId=w["transfer"]))["transfer"]
    accepted = await step(server, receiving, "acceptMemberTransfer", transferId=w["transfer"])
    assert accepted["transfer"]["state"] == "ACCEPTED", accepted
    moved = await server.ok(admin, MOVE, {"input": {"id": w["e"], "newParentId": w["street2"]}})
    assert moved["moveOrganization"]["__typename"] == "OrganizationPayload", moved
    return w


async def test_after_a_move_every_channel_shows_the_member_where_the_queries_do(
    dsn: str, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    async with receiver() as rx, app_server(dsn, tmp_path) as server:
        w = await _scenario(server)
        admin = w["admin"]
        # A webhook of street 2, replaying the whole log: it delivers what street 2 may read.
        hook = (await server.ok(admin, REGISTER_WEBHOOK, {"input": {
            "url": rx.url, "organizationId": w["street2"], "startAfter": 0}}))["registerWebhook"]
        assert hook["__typename"] == "WebhookRegistration", hook
        await _settled(pool)

        street2 = server.token(Role.STREET_ADMIN, scope=w["street2"], subject="street-two")
        street1 = server.token(Role.STREET_ADMIN, scope=w["street1"], subject="street-one")
        tokens = {
            "street 2": street2, "street 1": street1, "district": admin,
            "E": server.token(Role.COMMUNITY_SECRETARY, scope=w["e"], subject="e-secretary"),
            "B": server.token(Role.COMMUNITY_SECRETARY, scope=w["b"], subject="b-secretary"),
            "auditor of street 2": server.token(Role.AUDITOR, scope=w["street2"], subject="auditor-2"),
            "auditor of street 1": server.token(Role.AUDITOR, scope=w["street1"], subject="auditor-1"),
            "integration of street 2": server.token(Role.INTEGRATION, scope=w["street2"],
                                                    subject="grid-centre"),
        }
        member_stream = await pool.fetch(
            "SELECT event_id::text AS id, event_type FROM events WHERE stream_id = $1 ORDER BY version",
            w["member"])
        types = {r["id"]: r["event_type"] for r in member_stream}
        polled: dict[str, list[dict[str, Any]]] = {}
        for who, token in tokens.items():
            polled[who] = await _poll(server, token)
            shown = {e["eventId"] for e in polled[who] if e["streamId"] == w["member"]}
            assert shown == await _queries_show(server, token, w), who
            # A webhook's events go to those who may read the webhook (admins above a
            # community, auditors), within their scope, as webhook(id) does.
            hooks = {e["streamId"] for e in polled[who] if e["streamType"] == "Webhook"}
            readable = (await server.ok(token, "query($id: ID!) { webhook(id: $id) { id } }",
                                        {"id": hook["webhook"]["id"]}))["webhook"]
            assert hooks == ({hook["webhook"]["id"]} if readable else set()), who

        # The scenario of the issue, spelled out: street 2 sees the transfer (its sending
        # side E is street 2's now), not the member who lives in street 1.
        seen = sorted(types[e["eventId"]] for e in polled["street 2"] if e["streamId"] == w["member"])
        assert seen == ["Member.TransferAccepted", "Member.TransferLetterIssued",
                        "Member.TransferRequested"]
        assert len({e["eventId"] for e in polled["street 1"] if e["streamId"] == w["member"]}) \
            == len(member_stream), "street 1 reads the member: its whole stream"
        assert not [e for e in polled["E"] if types.get(e["eventId"]) in
                    ("Member.Registered", "Member.DetailsCorrected")], "E no longer holds the member"

        # The events subscription gives each token what GET /events gave it, then live
        # events (a rename in street 2 as a marker that nothing was held back).
        marker = await server.ok(admin, RENAME, {"input": {"id": w["street2"], "name": "观前街道"}})
        position = marker["renameOrganization"]["position"]
        sees_marker = {"street 2", "integration of street 2"}
        for who in (*sees_marker, "street 1", "E"):
            async with connect(server, tokens[who]) as client:
                await client.subscribe(EVENTS, {"after": 0})
                got = await client.events_until(position) if who in sees_marker else \
                    await client.events(len(polled[who]))
            if who in sees_marker:
                assert got[-1]["position"] == position
                got = got[:-1]
            assert [e["eventId"] for e in got] == [e["eventId"] for e in polled[who]], who

        # The webhook of street 2 delivered exactly street 2's events (its own
        # registration included), through the marker.
        await eventually(lambda: rx.delivered and rx.delivered[-1].document["position"] >= position,
                         GUARD, "the webhook to deliver through the marker")
        delivered = [h.event_id for h in rx.delivered]
        assert delivered[:-1] == [e["eventId"] for e in polled["street 2"]]

        async def recorded() -> bool:
            state = await webhook(server, admin, hook["webhook"]["id"])
            return bool(state["deliveredThrough"] >= position)

        await eventually(recorded, GUARD, "the webhook's cursor to pass the marker")

        # The export: street 2's subtree holds E's fund now, street 1's no longer does; the
        # member's events are in no export (they are not fund or inspection events).
        for who, root, holds_fund in (("auditor of street 2", w["street2"], True),
                                      ("auditor of street 1", w["street1"], False)):
            token = tokens[who]
            data = await server.ok(token, READ, {"m": w["member"], "t": w["transfer"], "f": w["fund"]})
            assert (data["fund"] is not None) is holds_fund, who
            response = await server.client.get(f"{server.url}/export", params={
                "organization": root, "format": "csv"}, headers={"authorization": f"Bearer {token}"})
            assert response.status_code == 200, response.text
            rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
            assert {r["event_id"] for r in rows} & set(types) == set(), who
            assert bool(rows) is holds_fund and all(r["fund_id"] == w["fund"] for r in rows), who
            hidden = await server.client.get(f"{server.url}/export", params={
                "fund": w["fund"], "format": "csv"}, headers={"authorization": f"Bearer {token}"})
            assert hidden.status_code == (200 if holds_fund else 404), who
