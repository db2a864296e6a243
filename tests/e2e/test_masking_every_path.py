"""Drawn ID numbers and phones, every role, every way member data leaves the server.

Hypothesis draws members (valid ID numbers, phones of any allowed shape and length);
each example registers them on a real server and reads them back as every role through
every path that returns member data: ``Member.idNumber``/``phone`` (one member and a
page), ``history`` payloads, ``GET /events``, the ``events`` subscription, ``GET
/export``, and the errors a duplicate registration answers. A role without the right to
see personal data must never get more than the last four characters of either value
(checked on each field, and as "no eight consecutive characters of the value anywhere
in the response"); the admin roles get them whole. Webhooks and NATS are system-level
by design (complete payloads; ``tests/integration/feed/test_one_event_document.py``),
and the server log is ``tests/integration/core/test_error_logs_without_personal_data.py``.

A shop complaint's complainant (a resident: name and phone) goes the same ways: stored only
as ciphertext in the complaint's own ``ShopComplainant`` stream, shown whole only to the
personal-data roles on the shop's complaints and history, the HTTP feed and the
subscription, and after ``eraseShopComplaintPersonalData`` null everywhere, NATS and
webhook bodies included. Before, the name was masked in ``Shop.complaints`` only and went
out in plain text in the shop's history, the feed, NATS and webhooks.

Before, a phone of seven digits or fewer came out whole, and every masked ID number
showed its first four characters (the region), every masked phone its first three.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.members.aggregate import Gender, Standing
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from domain.shared.privacy import PERSONAL_DATA_ROLES
from domain.shops.aggregate import Channel
from domain.shops.licence import credit_check_character
from eventstore.postgres import EVENT_COLUMNS, row_to_event
from projections.feed.document import integration_body
from tests.e2e.conftest import Server
from tests.e2e.ws import connect, serve
from tests.integration.support import commands, id_number
from tests.unit.core.test_masking_properties import shows_at_most_the_last_four

ID_NUMBERS = st.from_regex(r"[0-9]{17}", fullmatch=True).map(id_number)
PHONES = st.from_regex(r"\+?[0-9][0-9 -]{3,17}[0-9]", fullmatch=True).filter(
    lambda p: sum(c.isdigit() for c in p) >= 5 and "  " not in p and len(p) <= 20)
MEMBERS = st.lists(st.tuples(ID_NUMBERS, PHONES), min_size=1, max_size=3, unique_by=lambda m: m[0])
ROLES = [Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY, Role.FINANCE_OFFICER, Role.AUDITOR,
         Role.INTEGRATION]

REGISTER = """mutation($input: RegisterMemberInput!) { registerMember(input: $input) {
  __typename ... on MemberPayload { member { id } } ... on Error { code message field } } }"""
READ = """query($id: ID!) { member(id: $id) { idNumber phone }
  members(first: 50) { edges { node { id idNumber phone } } }
  history(streamId: $id) { edges { node { payload } } } }"""
FEED = """subscription { events(after: 0, filter: {streamTypes: ["Member"]}) { position payload } }"""


def _database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


def _personal(value: Any, key: str | None = None) -> list[tuple[str, str]]:
    """(field, shown value) of every idNumber/phone/id_number in a JSON value."""
    names = {"idNumber": "id_number", "id_number": "id_number", "phone": "phone"}
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _personal(v, names.get(k, key))]
    if isinstance(value, list):
        return [p for v in value for p in _personal(v, key)]
    return [] if key is None or value is None else [(key, str(value))]


def _check(text: str, found: list[tuple[str, str]], members: list[tuple[str, str]], whole: bool) -> None:
    for number, phone in members:
        originals = {"id_number": number, "phone": phone}
        plain = {"id_number": number, "phone": phone.replace(" ", "").replace("-", "")}
        if whole:
            continue
        for value in plain.values():
            for i in range(len(value) - 7):
                assert value[i:i + 8] not in text, f"{value[i:i + 8]!r} of {value!r} shown"
        for key, shown in found:
            if shown == originals[key] or shown.replace(" ", "").replace("-", "") == plain[key]:
                raise AssertionError(f"{key} {shown!r} shown whole")
    for key, shown in found:
        if whole:
            assert "*" not in shown, (key, shown)
        else:
            assert set(shown[:-4]) <= {"*"} and len(shown) - len(shown.lstrip("*")) >= min(4, len(shown)), shown
            assert any(shows_at_most_the_last_four(o if key == "id_number" else p, shown, key)
                       for o, p in members), (key, shown)


async def _paths(server: Server, token: str, member_ids: list[str], district: str) -> list[tuple[str, Any]]:
    """Every response that carries member data, as (what, parsed JSON)."""
    got: list[tuple[str, Any]] = []
    for mid in member_ids:
        got.append(("graphql", (await server.gql(token, READ, {"id": mid})).json()))
    headers = {"authorization": f"Bearer {token}"}
    feed = await server.client.get(f"{server.url}/events", params={"stream_type": "Member"}, headers=headers)
    got.append(("GET /events", feed.json()))
    export = await server.client.get(f"{server.url}/export", params={"organization": district, "format": "csv"},
                                     headers=headers)
    got.append(("GET /export", export.text))
    async with connect(server, token) as client:
        await client.subscribe(FEED)
        events = []
        while True:
            msg = await client.message()
            if msg["type"] != "next" or msg["payload"].get("errors"):
                break
            events.append(msg["payload"]["data"]["events"])
            if len(events) >= len(member_ids):
                break
        got.append(("subscription", events))
    return got


async def _example(admin_dsn: str, template: str, members: list[tuple[str, str]]) -> None:
    name = f"grassroots_t_{uuid.uuid4().hex[:12]}"
    admin_conn = await asyncpg.connect(admin_dsn)
    await admin_conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    await admin_conn.close()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with serve(_database(admin_dsn, name), Path(tmp)) as server:
                await _run(server, members)
    finally:
        admin_conn = await asyncpg.connect(admin_dsn)
        await admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin_conn.close()


async def _org(server: Server, token: str, kind: str, name: str, parent: str | None, code: str | None) -> str:
    data = await server.ok(token, """mutation($input: EstablishOrganizationInput!) {
      establishOrganization(input: $input) { __typename ... on OrganizationPayload { organization { id } }
        ... on Error { code message } } }""", {"input": {"kind": kind, "name": name, "parentId": parent,
                                                            "code": code}})
    return str(data["establishOrganization"]["organization"]["id"])


async def _run(server: Server, members: list[tuple[str, str]]) -> None:
    root = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    district = await _org(server, root, "DISTRICT_COMMITTEE", "姑苏区委", None, None)
    street = await _org(server, root, "STREET_WORKING_COMMITTEE", "平江街道", district, "320508019000")
    community = await _org(server, root, "COMMUNITY_COMMITTEE", "平江新村社区", street, "320508019001")
    ids = []
    for number, phone in members:
        out = await server.ok(root, REGISTER, {"input": {
            "name": "李秀英", "gender": "FEMALE", "birthDate": "1979-04-12", "ethnicity": "汉族",
            "idNumber": number, "phone": phone, "standing": "FULL", "joinedOn": "2003-07-01",
            "homeOrganizationId": community}})
        assert out["registerMember"]["__typename"] == "MemberPayload", out
        ids.append(out["registerMember"]["member"]["id"])
        # The error a duplicate answers names the field, not the value.
        again = await server.ok(root, REGISTER, {"input": {
            "name": "另一人", "gender": "MALE", "birthDate": "1980-01-01", "ethnicity": "汉族",
            "idNumber": number, "phone": None, "standing": "FULL", "joinedOn": "2003-07-01",
            "homeOrganizationId": community}})
        assert again["registerMember"]["code"] == "ALREADY_EXISTS"
        _check(json.dumps(again, ensure_ascii=False), [], [(number, phone)], whole=False)
    masked_seen: set[str] = set()
    for role in ROLES:
        token = server.token(role, subject=f"as-{role.value}", scope=None if role is Role.DISTRICT_ADMIN else district)
        whole = role in PERSONAL_DATA_ROLES
        for what, body in await _paths(server, token, ids, district):
            text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
            found = [] if isinstance(body, str) else _personal(body)
            try:
                _check(text, found, members, whole)
            except AssertionError as exc:
                raise AssertionError(f"{role.value}, {what}: {exc}") from None
            if whole and what == "graphql":
                assert {v for k, v in found if k == "id_number"} <= {n for n, _ in members}
            if found and not whole:
                masked_seen.add(what)
    # Not vacuous: masked values were read through each path that shows them to auditors.
    assert {"graphql", "GET /events", "subscription"} <= masked_seen, masked_seen


@given(MEMBERS)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_role_without_the_right_sees_more_than_the_last_four_characters_on_any_path(
    admin_dsn: str, template_db: str, members: list[tuple[str, str]],
) -> None:
    asyncio.run(_example(admin_dsn, template_db, members))


# -- shop complaints: the complainant is a resident, sealed and erased per complaint -----------

COMPLAINANT, COMPLAINANT_PHONE = "欧阳秀兰", "138-4000-5678"
SHOP_READ = """query($id: ID!) { shop(id: $id) { complaints { summary complainantName phone personalDataErasedAt } }
  history(streamId: $id) { edges { node { type payload } } } }"""
COMPLAINANT_FEED = """subscription { events(after: 0, filter: {streamTypes: ["ShopComplainant"]}) {
  position type payload } }"""
SHOP_ROLES = [*ROLES, Role.BUSINESS_DISTRICT_SECRETARY, Role.SHOP_OPERATOR]


async def _complaint_world(pool: asyncpg.Pool) -> tuple[UUID, UUID, UUID, UUID]:
    """District, street, business-district committee with one shop (its operator account
    ``shop-op``) and one hotline complaint naming the complainant: (district, committee, shop,
    complaint)."""
    cmds = commands(pool, lambda: datetime.now(UTC))
    admin = Actor("seed-admin", "组织部", frozenset({Role.DISTRICT_ADMIN}), None)
    K = OrganizationKind
    district = (await cmds.establish_organization(Request(admin, uuid.uuid4()), K.DISTRICT_COMMITTEE, "盘锦区委",
                                                  None)).id
    street = (await cmds.establish_organization(Request(admin, uuid.uuid4()), K.STREET_WORKING_COMMITTEE,
                                                "兴隆街道党工委", district, "211403003000")).id
    committee = (await cmds.establish_organization(Request(admin, uuid.uuid4()), K.BUSINESS_DISTRICT_COMMITTEE,
                                                   "兴隆商圈党委", street)).id
    owner = (await cmds.register_member(Request(admin, uuid.uuid4()), "店主甲", Gender.MALE, date(1975, 1, 2),
                                        "汉族",
                                        id_number("21140319750102077"), None, Standing.FULL, date(2000, 7, 1),
                                        committee, date.today().replace(day=1))).id
    body = "92211403MA0000777"
    shop = (await cmds.register_shop(Request(admin, uuid.uuid4()), committee, "兴隆便民店",
                                     body + credit_check_character(body), date(2035, 12, 31), "兴隆路7号",
                                     "RETAIL", owner_member_id=owner, operator_account="shop-op")).id
    hotline = Actor("hotline-12345", "12345热线", frozenset({Role.INTEGRATION}), district)
    out = await cmds.record_shop_complaint(Request(hotline, uuid.uuid4()), shop, Channel.HOTLINE_12345, "缺斤短两",
                                           COMPLAINANT, COMPLAINANT_PHONE)
    return district, committee, shop, UUID(out.extra["complaint_id"])


async def _complaint_paths(server: Server, token: str, shop: UUID, live: bool) -> list[tuple[str, Any]]:
    """Every response that may carry a complainant: the shop's complaints and history, the
    HTTP feed and (``live``: for readers of the district) the ``events`` subscription."""
    got: list[tuple[str, Any]] = [("graphql", (await server.gql(token, SHOP_READ, {"id": str(shop)})).json())]
    headers = {"authorization": f"Bearer {token}"}
    for kind in ("Shop", "ShopComplainant"):
        feed = await server.client.get(f"{server.url}/events", params={"stream_type": kind}, headers=headers)
        got.append((f"GET /events {kind}", feed.json()))
    if live:
        async with connect(server, token) as client:
            await client.subscribe(COMPLAINANT_FEED)
            got.append(("subscription", [(await client.data())["events"]]))
    return got


def _shows(text: str) -> list[str]:
    """Which of the complainant's values ``text`` shows (the phone: any eight digits of it)."""
    digits = COMPLAINANT_PHONE.replace("-", "")
    shown = [COMPLAINANT] if COMPLAINANT in text else []
    if any(digits[i:i + 8] in text for i in range(len(digits) - 7)):
        shown.append(COMPLAINANT_PHONE)
    return shown


async def test_a_shop_complainant_is_sealed_masked_on_every_path_and_erased_per_complaint(
        server: Server, pool: asyncpg.Pool) -> None:
    district, committee, shop, complaint = await _complaint_world(pool)
    # In the log only as ciphertext, in the complaint's own stream.
    stored = await pool.fetch("SELECT stream_id, stream_type, payload::text AS text FROM events"
                              " WHERE stream_id = ANY($1::uuid[])", [shop, complaint])
    assert {r["stream_type"] for r in stored if r["stream_id"] == complaint} == {"ShopComplainant"}
    assert [_shows(r["text"]) for r in stored] == [[]] * len(stored)
    whole_seen = masked_seen = 0
    for role in SHOP_ROLES:
        scope = None if role is Role.DISTRICT_ADMIN else committee if role is Role.SHOP_OPERATOR else district
        token = server.token(role, subject="shop-op" if role is Role.SHOP_OPERATOR else f"as-{role.value}",
                             scope=scope)
        whole = role in PERSONAL_DATA_ROLES
        for what, body in await _complaint_paths(server, token, shop, live=role is not Role.SHOP_OPERATOR):
            text = json.dumps(body, ensure_ascii=False)
            if whole:
                whole_seen += len(_shows(text)) > 0
            else:
                assert _shows(text) == [], f"{role.value}, {what}: {_shows(text)} shown"
                masked_seen += "****" in text
    assert whole_seen >= 3 and masked_seen >= 3  # not vacuous: the values went out, whole or masked
    # The shop's operator follows its own shop only: not the complainant, the member, the tree.
    operator = server.token(Role.SHOP_OPERATOR, subject="shop-op", scope=committee)
    own = (await server.client.get(f"{server.url}/events", headers={"authorization": f"Bearer {operator}"})).json()
    assert {(e["streamId"], e["type"]) for e in own["events"]} == {
        (str(shop), "Shop.Registered"), (str(shop), "Shop.ComplaintRecorded")}
    async with connect(server, operator) as client:
        await client.subscribe("subscription { events(after: 0) { streamId type } }")
        assert [await client.data() for _ in range(2)] == [
            {"events": {"streamId": str(shop), "type": t}} for t in ("Shop.Registered", "Shop.ComplaintRecorded")]

    admin = server.token(Role.DISTRICT_ADMIN, subject="organization-department")
    erased = await server.ok(admin, """mutation($input: EraseShopComplaintPersonalDataInput!) {
      eraseShopComplaintPersonalData(input: $input) { __typename ... on ShopPayload { complaintId
        shop { complaints { summary complainantName phone personalDataErasedAt } } } ... on Error { code } } }""",
                             {"input": {"shopId": str(shop), "complaintId": str(complaint),
                                        "reason": "依本人申请删除"}})
    (after,) = erased["eraseShopComplaintPersonalData"]["shop"]["complaints"]
    assert (after["summary"], after["complainantName"], after["phone"]) == ("缺斤短两", None, None)
    assert after["personalDataErasedAt"] is not None
    # Null for everyone now, also for a subscription replaying what an earlier one read whole
    # (the subscriptions' shared per-event documents once served the values read before).
    for role in (Role.DISTRICT_ADMIN, Role.COMMUNITY_SECRETARY, Role.AUDITOR):
        token = server.token(role, subject=f"after-{role.value}", scope=None if role is Role.DISTRICT_ADMIN
                             else district)
        for what, body in await _complaint_paths(server, token, shop, live=True):
            assert _shows(json.dumps(body, ensure_ascii=False)) == [], (role.value, what)
    # NATS and webhooks (complete payloads for system-level receivers) get nulls too.
    rows = await pool.fetch(f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY version", complaint)
    bodies = [json.loads(integration_body(row_to_event(r))) for r in rows]
    assert [(b["type"], b["payload"].get("complainant_name"), b["payload"].get("phone")) for b in bodies] == [
        ("ShopComplainant.Recorded", None, None), ("ShopComplainant.PersonalDataErased", None, None)]
    assert bodies[-1]["reason"] == "依本人申请删除"
