"""Nested fields respect the caller's scope, and a mutation's payload never shows stale rows."""

from __future__ import annotations

from domain.shared.permissions import Role
from tests.e2e.test_transfer_walkthrough import build_tree, establish, register, step
from tests.idnumbers import id_number


async def test_the_other_side_of_a_transfer_shows_no_children_counts_or_member(server) -> None:  # type: ignore[no-untyped-def]
    admin = server.token(Role.DISTRICT_ADMIN)
    _district, _street, east, west = await build_tree(server, admin)
    await establish(server, admin, kind="GRID_BRANCH", name="西区第一网格党支部", parentId=west)
    await register(server, admin, west, name="王建国", serial=2)
    member = await register(server, admin, east)
    secretary = server.token(Role.COMMUNITY_SECRETARY, scope=east, subject="east-secretary")
    requested = await step(server, secretary, "requestMemberTransfer", memberId=member,
                           toOrganizationId=west, scope="WITHIN_CITY", reason="搬家")
    transfer = requested["transfer"]["id"]
    await step(server, secretary, "issueTransferLetter", transferId=transfer)
    query = """query($id: ID!) { transfer(id: $id) { member { id }
        toOrganization { name memberCount children { name } } } }"""
    seen = (await server.ok(secretary, query, {"id": transfer}))["transfer"]
    assert seen["toOrganization"] == {"name": "钮家巷社区党支部", "memberCount": None, "children": []}
    assert seen["member"] == {"id": member}
    receiving = server.token(Role.COMMUNITY_SECRETARY, scope=west, subject="west-secretary")
    await step(server, receiving, "acceptMemberTransfer", transferId=transfer)
    # Accepted: the member now lives outside the sender's scope.
    after = (await server.ok(secretary, query, {"id": transfer}))["transfer"]
    assert after["member"] is None


async def test_two_registrations_in_one_request_each_see_the_count_after_their_own(server) -> None:  # type: ignore[no-untyped-def]
    admin = server.token(Role.DISTRICT_ADMIN)
    _district, _street, east, _west = await build_tree(server, admin)
    fields = {"gender": "FEMALE", "birthDate": "1979-04-12", "ethnicity": "汉族",
              "phone": "13912345678", "standing": "FULL", "joinedOn": "2003-07-01",
              "homeOrganizationId": east}
    data = await server.ok(admin, """mutation($a: RegisterMemberInput!, $b: RegisterMemberInput!) {
        a: registerMember(input: $a) { ... on MemberPayload { member { homeOrganization { memberCount } } } }
        b: registerMember(input: $b) { ... on MemberPayload { member { homeOrganization { memberCount } } } }
    }""", {"a": {**fields, "name": "甲", "idNumber": id_number("320508197904120", 7)},
           "b": {**fields, "name": "乙", "idNumber": id_number("320508197904120", 8)}})
    assert data["a"]["member"]["homeOrganization"]["memberCount"] == 1
    assert data["b"]["member"]["homeOrganization"]["memberCount"] == 2
