"""Crypto-shredding over the real server: a lawful erasure that keeps every proof valid.

Register a member; admins read the ID number and phone (fields, history, the feed),
auditors read them masked, and an event proof carries only ciphertext. A street admin
may not erase (nothing is appended); a district admin erases with a reason, after which
every channel reads null, a rebuild keeps it so, and the log, its event proofs and
every checkpoint verify exactly as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Any

import asyncpg

from api.areas import PROJECTIONS
from domain.shared.permissions import Role
from eventstore.integrity.encoding import load_public_key
from eventstore.integrity.verify import verify_log
from projections.runtime.rebuild import rebuild
from tests.e2e.conftest import Server
from tests.e2e.ws import EVENTS, connect
from tests.idnumbers import id_number
from tests.integration.support import head

ID = id_number("320508197904120", 61)
PHONE = "13912345678"
ORG = """mutation($i: EstablishOrganizationInput!) { establishOrganization(input: $i) {
  ... on OrganizationPayload { organization { id } } ... on Error { code message } } }"""
REGISTER = """mutation($i: RegisterMemberInput!) { registerMember(input: $i) {
  ... on MemberPayload { position member { id } } ... on Error { code message } } }"""
ERASE = """mutation($i: EraseMemberPersonalDataInput!) { eraseMemberPersonalData(input: $i) {
  __typename ... on MemberPayload { position member { idNumber phone personalDataErasedAt version } }
  ... on Error { code message } } }"""
MEMBER = "query($id: ID!) { member(id: $id) { name idNumber phone personalDataErasedAt } }"
HISTORY = """query($id: ID!) { history(streamId: $id) { edges { node {
  position type reason payload } } } }"""
CHECKPOINT = """mutation { recordCheckpoint(input: {waitForHead: true}) {
  ... on CheckpointPayload { checkpoint { treeSize } } ... on Error { code message } } }"""
PROOF = "query($p: Int!) { eventProof(position: $p) { canonical leafHash } }"


async def establish(server: Server, token: str, **fields: Any) -> str:
    data = await server.ok(token, ORG, {"i": fields})
    return str(data["establishOrganization"]["organization"]["id"])


async def feed(server: Server, token: str, member: str) -> list[dict[str, Any]]:
    response = await server.client.get(f"{server.url}/events", params={"after": 0, "limit": 1000},
                                       headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return [e for e in response.json()["events"] if e["streamId"] == member]


async def history(server: Server, token: str, member: str) -> list[dict[str, Any]]:
    data = await server.ok(token, HISTORY, {"id": member})
    return [edge["node"] for edge in data["history"]["edges"]]


def personal(payload: dict[str, Any]) -> tuple[Any, Any]:
    return payload.get("id_number"), payload.get("phone")


async def test_an_erasure_shreds_personal_data_everywhere_and_every_proof_still_holds(
    server: Server, pool: asyncpg.Pool, dsn: str,
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        await _walk(server, pool, dsn, stack)


async def _walk(server: Server, pool: asyncpg.Pool, dsn: str, stack: contextlib.AsyncExitStack) -> None:
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    district = await establish(server, admin, kind="DISTRICT_COMMITTEE", name="姑苏区委")
    street = await establish(server, admin, kind="STREET_WORKING_COMMITTEE", name="平江街道党工委",
                             parentId=district, code="320508019000")
    community = await establish(server, admin, kind="COMMUNITY_COMMITTEE", name="平江新村社区党委",
                                parentId=street, code="320508019001")
    registered = (await server.ok(admin, REGISTER, {"i": {
        "name": "李秀英", "gender": "FEMALE", "birthDate": "1979-04-12", "ethnicity": "汉族",
        "idNumber": ID, "phone": PHONE, "standing": "FULL", "joinedOn": "2003-07-01",
        "homeOrganizationId": community}}))["registerMember"]
    member, position = registered["member"]["id"], registered["position"]
    auditor = server.token(Role.AUDITOR, scope=district, subject="auditor")
    street_admin = server.token(Role.STREET_ADMIN, scope=street, subject="street-admin")
    district_admin = server.token(Role.DISTRICT_ADMIN, scope=district, subject="district-admin-2")

    # Before: the roles that may see personal data get it decrypted, the auditor masked.
    assert (await server.ok(admin, MEMBER, {"id": member}))["member"] == {
        "name": "李秀英", "idNumber": ID, "phone": PHONE, "personalDataErasedAt": None}
    masked = (await server.ok(auditor, MEMBER, {"id": member}))["member"]
    assert masked["idNumber"] != ID and masked["idNumber"].endswith(ID[-4:]) and masked["phone"] != PHONE
    (first,) = [n for n in await history(server, admin, member) if n["type"] == "Member.Registered"]
    assert personal(first["payload"]) == (ID, PHONE)
    (seen,) = [e for e in await feed(server, admin, member) if e["type"] == "Member.Registered"]
    assert personal(seen["payload"]) == (ID, PHONE)
    (audited,) = [n for n in await history(server, auditor, member) if n["type"] == "Member.Registered"]
    assert ID not in json.dumps(audited["payload"]) and PHONE not in json.dumps(audited["payload"])

    # The auditor proves the event without seeing personal data: only ciphertext was hashed.
    assert (await server.ok(auditor, CHECKPOINT))["recordCheckpoint"]["checkpoint"]["treeSize"] >= position
    proof = (await server.ok(auditor, PROOF, {"p": position}))["eventProof"]
    canonical = proof["canonical"]
    assert ID[-8:] not in canonical and PHONE[-8:] not in canonical and '"A256GCM"' in canonical
    assert hashlib.sha256(b"\x00" + canonical.encode()).hexdigest() == proof["leafHash"]

    # A live subscriber: it reads the registration (into the process's ring) before the erasure.
    live = await stack.enter_async_context(connect(server, admin))
    await live.subscribe(EVENTS, {"after": 0, "filter": {"streamTypes": ["Member"]}})
    assert [personal(e["payload"]) for e in await live.events(1)] == [(ID, PHONE)]

    # Refused, and nothing appended: a street admin, or no reason.
    top = await head(pool)
    for token, reason, error in ((street_admin, "依申请删除", "NotAuthorized"),
                                 (auditor, "依申请删除", "NotAuthorized"),
                                 (district_admin, " ", "ValidationError")):
        refused = (await server.ok(token, ERASE, {"i": {"id": member, "reason": reason}}))
        assert refused["eraseMemberPersonalData"]["__typename"] == error, refused
    assert await head(pool) == top

    erased = (await server.ok(district_admin, ERASE, {"i": {
        "id": member, "reason": "依本人申请删除（申请编号 2026-017）"}}))["eraseMemberPersonalData"]
    assert erased["__typename"] == "MemberPayload", erased
    assert erased["member"]["idNumber"] is None and erased["member"]["phone"] is None
    assert erased["member"]["personalDataErasedAt"] is not None

    # After: null in the read model, history (whose erasure event names no values) and the feed.
    assert (await server.ok(admin, MEMBER, {"id": member}))["member"]["idNumber"] is None
    nodes = await history(server, admin, member)
    assert [personal(n["payload"]) for n in nodes if n["type"] == "Member.Registered"] == [(None, None)]
    (erasure,) = [n for n in nodes if n["type"] == "Member.PersonalDataErased"]
    assert erasure["reason"] == "依本人申请删除（申请编号 2026-017）"
    assert erasure["payload"] == {"fields": ["declared_income", "id_number", "phone"]}
    for token in (admin, auditor):
        payloads = [n["payload"] for n in await history(server, token, member)]
        payloads += [e["payload"] for e in await feed(server, token, member)]
        assert len(payloads) == 4 and all(personal(p) == (None, None) for p in payloads)

    # The live subscriber is told of the erasure; a subscription replaying the log now
    # reads null, although the process's ring of recent events was filled before it.
    (told,) = await live.events(1)
    assert told["type"] == "Member.PersonalDataErased"
    async with connect(server, admin) as client:
        await client.subscribe(EVENTS, {"after": 0, "filter": {"streamTypes": ["Member"]}})
        replayed = await client.events(2)
    assert [personal(e["payload"]) for e in replayed] == [(None, None), (None, None)]

    # A rebuild replays the log into fresh tables: still erased.
    await rebuild(dsn, PROJECTIONS["members"])
    assert (await server.ok(admin, MEMBER, {"id": member}))["member"]["idNumber"] is None

    # The same proof as before, and the whole log verifies against every checkpoint.
    assert (await server.ok(auditor, PROOF, {"p": position}))["eventProof"] == proof
    await server.ok(auditor, CHECKPOINT)
    key = load_public_key((await server.ok(auditor, "{ signingKey { pem } }"))["signingKey"]["pem"])
    report = await verify_log(dsn, key, workers=1)
    assert report.ok and report.checkpoints == report.checkpoints_ok == 2, report.summary()
