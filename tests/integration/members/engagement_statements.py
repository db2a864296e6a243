"""The mobile cards', reports', volunteer hours' and appraisals' cases of
``tests/integration/core/test_mutation_statements.py``: the world each mutation needs, its two
runs (warm, then measured) and the pinned statement counts (``ENGAGEMENT_CASES``,
``ENGAGEMENT_EXPECTED``)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from domain.members.dues import DuesCategory
from domain.shared.commands import Request
from domain.shared.permissions import Actor, Role
from tests.integration.members.statements import ADMIN, Bare, Run, _is, doc
from tests.integration.support import register, req
from tests.usecases import UseCases

ENGAGEMENT_EXPECTED: dict[str, int] = {
    # member stream, home path, the inflow organization's stream (not dissolved), append (with the
    # card number's claim), member row and home row
    "issueMobileCard": 6,
    # member stream, home path, append, member row and home row
    "reviewMobileCard": 5,
    "closeMobileCard": 5,
    # member stream, home path, the community's stream (a community, not dissolved), append, member
    # row and home row
    "reportToResidenceCommunity": 6,
    # member stream, home path, append, member row and home row
    "logVolunteerHours": 5,
    "confirmVolunteerHours": 5,
    "rejectVolunteerHours": 5,
    "appraiseMember": 5,
    # the unit's path, its stream and the community's (their kinds, not dissolved), the unit's
    # report stream (one a year), append, the report row and the organizations that show it
    "reportUnitToResidenceCommunity": 7,
}
ENGAGEMENT_CASES: dict[str, Callable[[UseCases, dict[str, uuid.UUID]], Awaitable[Run]]] = {}
ENTRIES = (uuid.UUID("6f1d3a52-0000-4000-8000-000000000001"), uuid.UUID("6f1d3a52-0000-4000-8000-000000000002"))


def case(mutation: str) -> Callable[[Any], Any]:
    def add(setup: Any) -> Any:
        ENGAGEMENT_CASES[mutation] = setup
        return setup
    return add


async def _members(cmds: UseCases, ids: dict[str, uuid.UUID]) -> list[uuid.UUID]:
    members = [(await register(cmds, ids["west"], name, prefix)).id
               for name, prefix in (("许文静", "32050819790412053"), ("蒋立新", "32050819790412064"))]
    for member in members:
        await cmds.assess_member_dues(req(), member, 2026, DuesCategory.EMPLOYED, "6000.00")
    return members


async def _carded(cmds: UseCases, ids: dict[str, uuid.UUID]) -> list[uuid.UUID]:
    members = await _members(cmds, ids)
    for n, member in enumerate(members):
        await cmds.issue_mobile_card(req(), member, f"TJ-2025-{n:04d}", date(2025, 5, 1),
                                     inflow_organization_id=ids["east"])
    return members


async def _pending(cmds: UseCases, ids: dict[str, uuid.UUID]) -> list[uuid.UUID]:
    members = await _members(cmds, ids)
    for member, entry in zip(members, ENTRIES, strict=True):  # by the member's own token: pending
        own = Actor(subject=str(member), name="党员", roles=frozenset({Role.MEMBER}), scope=ids["street"])
        await cmds.log_volunteer_hours(Request(own, uuid.uuid4()), member, entry, "助老服务", date(2026, 2, 3), "2.0")
    return members


@case("issueMobileCard")
async def _issue(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _members(cmds, ids)

    def issue(member: uuid.UUID, number: str) -> str:
        return doc("issueMobileCard", id=member, number=number, issuedOn="2026-02-01", inflowOrganizationId=ids["east"])
    return ADMIN, issue(first, "TJ-2026-0001"), issue(second, "TJ-2026-0002"), _is(second)


@case("reviewMobileCard")
async def _review(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _carded(cmds, ids)
    return (ADMIN, doc("reviewMobileCard", id=first, reviewedOn="2026-02-20"),
            doc("reviewMobileCard", id=second, reviewedOn="2026-02-20"), _is(second))


@case("closeMobileCard")
async def _close(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _carded(cmds, ids)
    return (ADMIN, doc("closeMobileCard", id=first, returnedOn="2026-02-21"),
            doc("closeMobileCard", id=second, returnedOn="2026-02-21"), _is(second))


@case("reportToResidenceCommunity")
async def _report(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _members(cmds, ids)

    def report(member: uuid.UUID) -> str:
        return doc("reportToResidenceCommunity", memberId=member, communityId=ids["east"], reportedOn="2026-01-15")
    return ADMIN, report(first), report(second), _is(second)


@case("logVolunteerHours")
async def _log(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _members(cmds, ids)

    def log(member: uuid.UUID, entry: uuid.UUID) -> str:
        return doc("logVolunteerHours", memberId=member, entryId=entry, activity="助老服务", on="2026-02-10",
                   hours="3.5")
    return ADMIN, log(first, ENTRIES[0]), log(second, ENTRIES[1]), _is(second)


@case("confirmVolunteerHours")
async def _confirm(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _pending(cmds, ids)
    return (ADMIN, doc("confirmVolunteerHours", memberId=first, entryId=ENTRIES[0]),
            doc("confirmVolunteerHours", memberId=second, entryId=ENTRIES[1]), _is(second))


@case("rejectVolunteerHours")
async def _reject(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _pending(cmds, ids)
    return (ADMIN, doc("rejectVolunteerHours", memberId=first, entryId=ENTRIES[0], reason="无人证明"),
            doc("rejectVolunteerHours", memberId=second, entryId=ENTRIES[1], reason="无人证明"), _is(second))


@case("appraiseMember")
async def _appraise(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    first, second = await _members(cmds, ids)

    def appraise(member: uuid.UUID) -> str:
        return doc("appraiseMember", memberId=member, year=2026, rating=Bare("UNQUALIFIED"), appraisedOn="2026-02-28")
    return ADMIN, appraise(first), appraise(second), _is(second)


@case("reportUnitToResidenceCommunity")
async def _unit_report(cmds: UseCases, ids: dict[str, uuid.UUID]) -> Run:
    from domain.organizations.aggregate import OrganizationKind

    first, second = [(await cmds.establish_organization(req(), OrganizationKind.PARK_COMMITTEE, name,
                                                        ids["street"])).id for name in ("东园党委", "西园党委")]

    def report(unit: uuid.UUID) -> str:
        return (f'mutation {{ reportUnitToResidenceCommunity(input: {{organizationId: "{unit}", communityId:'
                f' "{ids["east"]}", reportedOn: "2026-01-20"}}) {{ __typename ... on UnitReportPayload {{ report'
                ' { year organization { id } } } ... on Error { code message } } }')

    def shown(p: dict[str, Any]) -> bool:
        return p["__typename"] == "UnitReportPayload" and p["report"]["organization"]["id"] == str(second)
    return ADMIN, report(first), report(second), shown
