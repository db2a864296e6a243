"""Issue 13's "Done means", over real HTTP: give a member a mobile activity card with an
inflow organization outside the system; log the member's report to their residence community
and 20 confirmed volunteer hours (some logged with the member's own MEMBER token, confirmed by
the community), and see the appraisal refuse "qualified" with the rule and the figures; the
MEMBER token reads only the member's own record and the member's own events."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from domain.shared.permissions import Role
from tests.e2e.conftest import Server
from tests.e2e.test_members_part_two import Clock, clocked  # noqa: F401  (the fixture)
from tests.e2e.test_transfer_walkthrough import build_tree, register

CARD = ("member { id mobileCard { number issuedOn reviewOverdue outflowOrganization { id }"
        " inflowOrganization { id } inflowExternal { name province city code } } }")
HOURS = "member { id volunteerHours(year: 2026) { confirmedHours pendingHours projects belowMinimum } }"


async def step(server: Server, token: str, mutation: str, selection: str = "member { id }",
               **fields: Any) -> dict[str, Any]:
    name = mutation[0].upper() + mutation[1:]
    query = f"""mutation($input: {name}Input!) {{ {mutation}(input: $input) {{ __typename
        ... on MemberPayload {{ {selection} }} ... on Error {{ code message field }} }} }}"""
    return (await server.ok(token, query, {"input": fields}))[mutation]


async def test_mobile_card_report_hours_appraisal_and_the_members_own_token(
        clocked: tuple[Server, Clock]) -> None:  # noqa: F811
    server, clock = clocked
    clock.now = clock.now.replace(year=2026, month=3, day=2)
    admin = server.token(Role.DISTRICT_ADMIN, subject="district-admin")
    _, street, east, west = await build_tree(server, admin)
    member = await register(server, admin, west, name="周海燕", serial=61)
    neighbour = await register(server, admin, west, name="吴建国", serial=62)
    west_secretary = server.token(Role.COMMUNITY_SECRETARY, scope=west, subject="west-secretary")
    east_secretary = server.token(Role.COMMUNITY_SECRETARY, scope=east, subject="east-secretary")
    for m in (member, neighbour):
        assessed = await server.ok(admin, """mutation($id: ID!) { assessMemberDues(input: {id: $id, year: 2026,
            category: EMPLOYED, declaredIncome: "7000.00"}) { __typename } }""", {"id": m})
        assert assessed["assessMemberDues"]["__typename"] == "MemberPayload"

    # A mobile card whose inflow organization lies outside the system; the home stays.
    issued = await step(server, west_secretary, "issueMobileCard", CARD, id=member, number="sz-2026-0318",
                        issuedOn="2026-02-10", inflowExternal={"name": "深圳市南山区粤海街道流动党员党支部",
                                                               "province": "广东省", "city": "深圳市",
                                                               "code": "440305007000"})
    assert issued["member"]["mobileCard"] == {
        "number": "SZ-2026-0318", "issuedOn": "2026-02-10", "reviewOverdue": False,
        "outflowOrganization": {"id": west}, "inflowOrganization": None,
        "inflowExternal": {"name": "深圳市南山区粤海街道流动党员党支部", "province": "广东省", "city": "深圳市",
                           "code": "440305007000"}}
    taken = await step(server, west_secretary, "issueMobileCard", id=neighbour, number="SZ-2026-0318",
                       issuedOn="2026-02-10", inflowOrganizationId=east)
    assert (taken["__typename"], taken["field"]) == ("MobileCardNumberTaken", "number")

    # The report where the member lives, and 20 confirmed hours in one project.
    # The community receives the report (it does not read the member's record: the home does).
    reported = await step(server, east_secretary, "reportToResidenceCommunity", memberId=member, communityId=east,
                          reportedOn="2026-01-18", needs=["楼道清洁", "老人探访"])
    assert (reported["__typename"], reported["member"]) == ("MemberPayload", None)
    at_home = await server.ok(west_secretary, """query($m: ID!) { member(id: $m) {
        reports { year reportedOn needs late community { id } } } }""", {"m": member})
    assert at_home["member"]["reports"] == [{"year": 2026, "reportedOn": "2026-01-18",
                                             "needs": ["楼道清洁", "老人探访"], "late": False,
                                             "community": None}]  # east: outside the home's scope
    own = server.token(Role.MEMBER, scope=street, subject=member)
    entry = str(uuid4())
    logged = await step(server, own, "logVolunteerHours", HOURS, memberId=member, entryId=entry,
                        activity="老人探访", on="2026-02-14", hours="12.0")
    assert logged["member"]["volunteerHours"] == {"confirmedHours": "0.0", "pendingHours": "12.0", "projects": 0,
                                                  "belowMinimum": True}
    refused = await step(server, own, "confirmVolunteerHours", memberId=member, entryId=entry)
    assert refused["__typename"] == "NotAuthorized"
    other = await step(server, own, "logVolunteerHours", memberId=neighbour, entryId=str(uuid4()),
                       activity="老人探访", on="2026-02-14", hours="1.0")
    assert other["__typename"] == "NotAuthorized"
    # The community the member reported to finds the entry waiting for it, and confirms it.
    waiting = await server.ok(east_secretary, """query($o: ID!) { volunteerHoursToConfirm(organizationId: $o) {
        edges { node { memberId memberName entry { entryId hours state } } } } }""", {"o": east})
    assert [e["node"] for e in waiting["volunteerHoursToConfirm"]["edges"]] == [
        {"memberId": member, "memberName": "周海燕", "entry": {"entryId": entry, "hours": "12.0", "state": "PENDING"}}]
    confirmed = await step(server, east_secretary, "confirmVolunteerHours", memberId=member, entryId=entry)
    assert confirmed["__typename"] == "MemberPayload"
    by_community = await step(server, west_secretary, "logVolunteerHours", HOURS, memberId=member,
                              entryId=str(uuid4()), activity="老人探访", on="2026-02-21", hours="8")
    assert by_community["member"]["volunteerHours"] == {"confirmedHours": "20.0", "pendingHours": "0.0",
                                                        "projects": 1, "belowMinimum": True}

    appraisal = await step(server, west_secretary, "appraiseMember", memberId=member, year=2026,
                           rating="QUALIFIED", appraisedOn="2026-03-01")
    assert (appraisal["__typename"], appraisal["field"]) == ("AppraisalNotAllowed", "rating")
    assert appraisal["message"].startswith("VOLUNTEER_MINIMUM: 20.0 confirmed volunteer hours in 1 project(s)")
    assert "24.0 hours" in appraisal["message"]
    rated = await step(server, west_secretary, "appraiseMember", "member { appraisals { year rating volunteerHours } }",
                       memberId=member, year=2026, rating="BASICALLY_QUALIFIED", appraisedOn="2026-03-01")
    assert rated["member"]["appraisals"] == [{"year": 2026, "rating": "BASICALLY_QUALIFIED", "volunteerHours": "20.0"}]

    lists = await server.ok(admin, """query { mobile: members(filter: {mobile: true}) { edges { node { id } } }
        toReport: members(filter: {reported: false, inService: true, year: 2026}) { edges { node { id } } }
        below: members(filter: {belowVolunteerMinimum: true, year: 2026}) { edges { node { id } } } }""")
    assert [e["node"]["id"] for e in lists["mobile"]["edges"]] == [member]
    assert [e["node"]["id"] for e in lists["toReport"]["edges"]] == [neighbour]
    assert {e["node"]["id"] for e in lists["below"]["edges"]} == {member, neighbour}

    # The member's own token: their record only, and their own events.
    mine = await server.ok(own, """query($m: ID!, $n: ID!, $w: ID!) {
        me: member(id: $m) { name idNumber dues { years { year } } volunteerHours(year: 2026) { confirmedHours }
                             appraisals { rating } reports { year } homeOrganization { id } }
        neighbour: member(id: $n) { id }
        members { edges { node { id } } }
        organization(id: $w) { id } }""", {"m": member, "n": neighbour, "w": west})
    assert mine["me"]["name"] == "周海燕" and "*" in mine["me"]["idNumber"]  # masked: no need
    assert mine["me"]["volunteerHours"] == {"confirmedHours": "20.0"}
    assert mine["me"]["dues"]["years"] == [{"year": 2026}] and mine["me"]["homeOrganization"] is None
    assert (mine["neighbour"], mine["members"]["edges"], mine["organization"]) == (None, [], None)
    feed = await server.client.get(f"{server.url}/events", params={"after": 0, "wait": 0},
                                   headers={"authorization": f"Bearer {own}"})
    assert feed.status_code == 200, feed.text
    events = feed.json()["events"]
    assert events and {e["streamId"] for e in events} == {member}
