"""The newcomer's walk-through, over real HTTP: build a tree, register, transfer, inspect."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from domain.shared.permissions import Role
from tests.idnumbers import id_number

ESTABLISH = """
mutation($input: EstablishOrganizationInput!) {
  establishOrganization(input: $input) {
    __typename
    ... on OrganizationPayload { position organization { id name kind ancestors { name } } }
    ... on Error { code message field }
  }
}"""
REGISTER = """
mutation($input: RegisterMemberInput!) {
  registerMember(input: $input) {
    __typename
    ... on MemberPayload { member { id name idNumber homeOrganization { id name } } }
    ... on Error { code message field }
  }
}"""
TRANSFER_FIELDS = ("id state letterSerial validUntil receiptDueOn toOrganization { name } "
                   "member { homeOrganization { name } }")


async def establish(server, token, **fields):  # type: ignore[no-untyped-def]
    data = await server.ok(token, ESTABLISH, {"input": fields})
    result = data["establishOrganization"]
    assert result["__typename"] == "OrganizationPayload", result
    return result["organization"]["id"]


async def build_tree(server, token):  # type: ignore[no-untyped-def]
    district = await establish(server, token, kind="DISTRICT_COMMITTEE", name="姑苏区委")
    street = await establish(server, token, kind="STREET_WORKING_COMMITTEE", name="平江街道党工委",
                             parentId=district, code="320508019000")
    east = await establish(server, token, kind="COMMUNITY_COMMITTEE", name="平江新村社区党委",
                           parentId=street, code="320508019001")
    west = await establish(server, token, kind="COMMUNITY_BRANCH", name="钮家巷社区党支部",
                           parentId=street, code="320508019002")
    return district, street, east, west


async def register(server, token, home, name="李秀英", serial=1):  # type: ignore[no-untyped-def]
    data = await server.ok(token, REGISTER, {"input": {
        "name": name, "gender": "FEMALE", "birthDate": "1979-04-12", "ethnicity": "汉族",
        "idNumber": id_number("320508197904120", serial), "phone": "13912345678",
        "standing": "FULL", "joinedOn": "2003-07-01", "homeOrganizationId": home}})
    result = data["registerMember"]
    assert result["__typename"] == "MemberPayload", result
    return result["member"]["id"]


async def step(server, token, mutation, **fields):  # type: ignore[no-untyped-def]
    name = mutation[0].upper() + mutation[1:]
    query = f"""mutation($input: {name}Input!) {{ {mutation}(input: $input) {{ __typename
        ... on TransferPayload {{ position transfer {{ {TRANSFER_FIELDS} }} }}
        ... on Error {{ code message field }} }} }}"""
    return (await server.ok(token, query, {"input": fields}))[mutation]


async def test_a_member_moves_between_two_communities_with_a_full_history(server):  # type: ignore[no-untyped-def]
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    _, _, east, west = await build_tree(server, admin)
    member = await register(server, admin, east)
    sender = server.token(Role.COMMUNITY_SECRETARY, scope=east, subject="east-secretary")
    receiver = server.token(Role.COMMUNITY_SECRETARY, scope=west, subject="west-secretary")

    requested = await step(server, sender, "requestMemberTransfer", memberId=member,
                           toOrganizationId=west, scope="WITHIN_CITY", reason="搬家到钮家巷")
    assert requested["transfer"]["state"] == "REQUESTED"
    transfer = requested["transfer"]["id"]
    issued = await step(server, sender, "issueTransferLetter", transferId=transfer)
    assert issued["transfer"]["state"] == "LETTER_ISSUED"
    assert issued["transfer"]["letterSerial"]
    # Not the receiver's call until now, and the sender may not accept for the receiver.
    refused = await step(server, sender, "acceptMemberTransfer", transferId=transfer)
    assert refused["__typename"] == "NotAuthorized"
    accepted = await step(server, receiver, "acceptMemberTransfer", transferId=transfer)
    assert accepted["transfer"]["state"] == "ACCEPTED"
    assert accepted["transfer"]["member"]["homeOrganization"]["name"] == "钮家巷社区党支部"
    confirmed = await step(server, sender, "confirmTransferReceipt", transferId=transfer)
    assert confirmed["transfer"]["state"] == "RECEIPT_CONFIRMED"

    data = await server.ok(admin, """query($west: ID!, $t: ID!) {
        members(filter: {within: $west}) { edges { node { id homeOrganization { name } } } }
        transfer(id: $t) { history { type actor reason } }
        organization(id: $west) { memberCount ancestors { name } } }""", {"west": west, "t": transfer})
    assert [e["node"]["id"] for e in data["members"]["edges"]] == [member]
    assert data["organization"]["memberCount"] == 1
    assert [a["name"] for a in data["organization"]["ancestors"]] == ["姑苏区委", "平江街道党工委"]
    history = [(h["type"], h["actor"]) for h in data["transfer"]["history"]]
    assert history == [
        ("Member.TransferRequested", "east-secretary"),
        ("Member.TransferLetterIssued", "east-secretary"),
        ("Member.TransferAccepted", "west-secretary"),
        ("Member.TransferReceiptConfirmed", "east-secretary"),
    ]
    assert data["transfer"]["history"][0]["reason"] == "搬家到钮家巷"


async def test_two_simultaneous_accepts_of_one_transfer_let_exactly_one_succeed(server):  # type: ignore[no-untyped-def]
    admin = server.token(Role.DISTRICT_ADMIN)
    _, _, east, west = await build_tree(server, admin)
    member = await register(server, admin, east, name="王建国", serial=2)
    transfer = (await step(server, admin, "requestMemberTransfer", memberId=member,
                           toOrganizationId=west, scope="WITHIN_CITY", reason="工作调动"))["transfer"]["id"]
    await step(server, admin, "issueTransferLetter", transferId=transfer)

    results = await asyncio.gather(*(step(server, admin, "acceptMemberTransfer", transferId=transfer)
                                     for _ in range(2)))
    kinds = sorted(r["__typename"] for r in results)
    assert kinds == ["TransferNotAllowed", "TransferPayload"]
    history = await server.ok(admin, "query($id: ID!) { history(streamId: $id) { edges { node { type } } } }",
                              {"id": member})
    types = [e["node"]["type"] for e in history["history"]["edges"]]
    assert types.count("Member.TransferAccepted") == 1


async def test_requests_without_a_valid_token_get_401_but_graphiql_loads(server):  # type: ignore[no-untyped-def]
    response = await server.gql(None, "{ me { name } }")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    forged = await server.gql("not-a-jwt", "{ me { name } }")
    assert forged.status_code == 401
    page = await server.client.get(f"{server.url}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    for path in ("/healthz", "/readyz"):
        assert (await server.client.get(server.url + path)).status_code == 200


async def test_graphql_over_http_status_codes_follow_the_media_type(server):  # type: ignore[no-untyped-def]
    token = server.token(Role.AUDITOR, scope=uuid4())  # only a district admin is whole-system
    bad = await server.gql(token, "{ nosuchfield }")
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in bad.json()
    legacy = await server.gql(token, "{ nosuchfield }", accept="application/json")
    assert legacy.status_code == 200 and legacy.json()["errors"]
    get_mutation = await server.client.get(
        f"{server.url}/graphql", params={"query": "mutation { __typename }"},
        headers={"authorization": f"Bearer {token}"})
    assert get_mutation.status_code == 405
    ok = await server.gql(token, "{ me { roles } }")
    assert ok.status_code == 200
    assert ok.json()["data"]["me"]["roles"] == ["auditor"]
    assert isinstance(ok.json()["extensions"]["position"], int)
