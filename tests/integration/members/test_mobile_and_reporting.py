"""Mobile cards, residence reports, volunteer entries and appraisals on real PostgreSQL: the four
read models (``mobile_cards``, ``residence_reports``, ``volunteer_entries``, ``appraisals``) as
``Member`` shows them, the ``members`` filters over them, the overdue card review as of a clock,
and a rebuild that gives the same rows."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import asyncpg

from api.areas import PROJECTIONS
from domain.members.appraisal import AppraisalRating
from domain.members.dues import DuesCategory
from domain.organizations.aggregate import OrganizationKind
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from projections.runtime.rebuild import rebuild
from tests.integration.members.test_dues import query, tree, who
from tests.integration.support import catch_up, register, req

TABLES = ("mobile_cards", "residence_reports", "volunteer_entries", "appraisals", "unit_reports")
MEMBER = """query($id: ID!) { member(id: $id) {
  mobileCard { number reviewDueOn reviewOverdue closedOn inflowOrganization { id } inflowExternal { name } }
  reports { year reportedOn needs late }
  volunteerHours(year: 2026) { confirmedHours pendingHours projects belowMinimum
    entries { activity hours state source loggedBy decidedBy rejectReason } }
  appraisals { year rating volunteerHours volunteerProjects reported inService } } }"""
LISTS = """query($w: ID!) {
  mobile: members(filter: {within: $w, mobile: true}) { edges { node { name } } }
  notReported: members(filter: {within: $w, reported: false, year: 2026}) { edges { node { name } } }
  below: members(filter: {within: $w, belowVolunteerMinimum: false, year: 2026}) { edges { node { name } } }
  arrears: members(filter: {within: $w, duesInArrears: true}) { edges { node { name } } } }"""


async def settled(dsn: str) -> None:
    for name in ("organizations", "members", "dues", *TABLES):
        await catch_up(dsn, PROJECTIONS[name])


async def test_cards_reports_hours_and_appraisals_read_back_and_rebuild_the_same(
        dsn: str, pool: asyncpg.Pool) -> None:
    cmds, street, community, branch = await tree(pool)
    mobile = (await register(cmds, branch, "钱晓梅", "32050819790412075")).id  # paid through February 2026
    steady = (await register(cmds, branch, "孔德明", "32050819790412086")).id
    for member in (mobile, steady):
        await cmds.assess_member_dues(req(), member, 2026, DuesCategory.EMPLOYED, "6000.00")
    await cmds.issue_mobile_card(req(), mobile, "GS-2025-0009", date(2025, 1, 20), inflow_organization_id=community)
    await cmds.review_mobile_card(req(), mobile, date(2025, 2, 10))
    await cmds.report_to_residence_community(req(), steady, community, date(2026, 2, 1), ("助学",))
    own = Actor(subject=str(steady), name="孔德明", roles=frozenset({Role.MEMBER}), scope=street)
    kept, refused = uuid4(), uuid4()
    for entry in (kept, refused):
        await cmds.log_volunteer_hours(Request(own, uuid4()), steady, entry, "助学", date(2026, 2, 7), "12.5")
    await cmds.confirm_volunteer_hours(req(), steady, kept)
    await cmds.reject_volunteer_hours(req(), steady, refused, "重复登记")
    await cmds.log_volunteer_hours(req(), steady, uuid4(), "义诊", date(2026, 2, 8), "11.5")
    await cmds.appraise_member(req(), steady, 2026, AppraisalRating.EXCELLENT, date(2026, 2, 28))
    park = (await cmds.establish_organization(req(), OrganizationKind.PARK_COMMITTEE, "金阊科技园党委", street)).id
    await cmds.report_unit_to_residence_community(req(), park, community, date(2026, 2, 20),
                                                  ("共建党员活动室",))
    await settled(dsn)

    secretary = who(Role.COMMUNITY_SECRETARY, community)
    card = (await query(pool, secretary, MEMBER, date(2026, 3, 1), id=str(mobile)))["member"]["mobileCard"]
    assert card == {"number": "GS-2025-0009", "reviewDueOn": "2026-02-10", "reviewOverdue": True, "closedOn": None,
                    "inflowOrganization": {"id": str(community)}, "inflowExternal": None}
    steady_read = (await query(pool, secretary, MEMBER, date(2026, 3, 1), id=str(steady)))["member"]
    assert steady_read["reports"] == [{"year": 2026, "reportedOn": "2026-02-01", "needs": ["助学"], "late": False}]
    hours = steady_read["volunteerHours"]
    assert (hours["confirmedHours"], hours["pendingHours"], hours["projects"], hours["belowMinimum"]) == (
        "24.0", "0.0", 2, False)
    entries = [(e["activity"], e["hours"], e["state"], e["source"], e["loggedBy"], e["decidedBy"],
                e["rejectReason"]) for e in hours["entries"]]  # by date; the same day's in any order
    assert sorted(entries[:2], key=str) == [("助学", "12.5", "CONFIRMED", "MEMBER", str(steady), "t", None),
                                            ("助学", "12.5", "REJECTED", None, str(steady), "t", "重复登记")]
    assert entries[2] == ("义诊", "11.5", "CONFIRMED", "COMMUNITY", "t", "t", None)
    assert steady_read["appraisals"] == [{"year": 2026, "rating": "EXCELLENT", "volunteerHours": "24.0",
                                          "volunteerProjects": 2, "reported": True, "inService": True}]

    units = await query(pool, secretary, """query($c: ID!) { unitReports(communityId: $c, year: 2026) {
        organization { name } reportedOn needs late } }""", date(2026, 3, 1), c=str(community))
    assert units["unitReports"] == [{"organization": None, "reportedOn": "2026-02-20", "needs": ["共建党员活动室"],
                                     "late": False}]  # the park lies outside the community's scope
    lists = await query(pool, secretary, LISTS, date(2026, 3, 1), w=str(branch))
    assert [e["node"]["name"] for e in lists["mobile"]["edges"]] == ["钱晓梅"]
    assert [e["node"]["name"] for e in lists["notReported"]["edges"]] == ["钱晓梅"]
    assert [e["node"]["name"] for e in lists["below"]["edges"]] == ["孔德明"]
    assert lists["arrears"]["edges"] == []  # both paid through February: last month
    later = await query(pool, secretary, LISTS, date(2026, 4, 2), w=str(branch))
    assert {e["node"]["name"] for e in later["arrears"]["edges"]} == {"钱晓梅", "孔德明"}

    await cmds.close_mobile_card(req(), mobile, date(2026, 2, 27))
    await settled(dsn)
    closed = (await query(pool, secretary, MEMBER, date(2026, 3, 1), id=str(mobile)))["member"]["mobileCard"]
    assert (closed["closedOn"], closed["reviewOverdue"]) == ("2026-02-27", False)

    before = {t: await pool.fetch(f"SELECT * FROM {t} ORDER BY 1, 2") for t in TABLES}
    for name in TABLES:
        await rebuild(dsn, PROJECTIONS[name])
    assert {t: await pool.fetch(f"SELECT * FROM {t} ORDER BY 1, 2") for t in TABLES} == before
