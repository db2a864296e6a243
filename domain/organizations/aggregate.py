"""Party organizations (党组织): the tree from district down to member central households."""

from __future__ import annotations

import enum
import re
from datetime import date
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.organizations.errors import InvalidGridBranchCode
from domain.shared.errors import IllegalParent, InvalidInput, OrganizationDissolved
from domain.shared.text import MAX_NAME, ascii_digits, clean


class OrganizationKind(enum.Enum):
    """The kinds of organization the district tree holds."""

    DISTRICT_COMMITTEE = "DISTRICT_COMMITTEE"  # 区委
    STREET_WORKING_COMMITTEE = "STREET_WORKING_COMMITTEE"  # 街道党工委
    COMMUNITY_COMMITTEE = "COMMUNITY_COMMITTEE"  # 社区党委
    COMMUNITY_GENERAL_BRANCH = "COMMUNITY_GENERAL_BRANCH"  # 社区党总支
    COMMUNITY_BRANCH = "COMMUNITY_BRANCH"  # 社区党支部
    GRID_BRANCH = "GRID_BRANCH"  # 网格党支部
    BUILDING_GROUP = "BUILDING_GROUP"  # 楼栋党小组
    MEMBER_CENTRAL_HOUSEHOLD = "MEMBER_CENTRAL_HOUSEHOLD"
    """党员中心户, as organizations were recorded before it became a designation of a member (the grids
    area's ``CentralHousehold``): existing ones load and project as before; no new one is established."""
    PARK_COMMITTEE = "PARK_COMMITTEE"  # 园区党委
    BUSINESS_DISTRICT_COMMITTEE = "BUSINESS_DISTRICT_COMMITTEE"  # 商圈党委
    JOINT_BRANCH = "JOINT_BRANCH"  # 联合支部


K = OrganizationKind
COMMUNITY_KINDS = frozenset({K.COMMUNITY_COMMITTEE, K.COMMUNITY_GENERAL_BRANCH, K.COMMUNITY_BRANCH})
DIVISION_CODED_KINDS = COMMUNITY_KINDS | {K.STREET_WORKING_COMMITTEE}

LEGAL_PARENTS: dict[OrganizationKind, frozenset[OrganizationKind]] = {
    K.DISTRICT_COMMITTEE: frozenset(),
    K.STREET_WORKING_COMMITTEE: frozenset({K.DISTRICT_COMMITTEE}),
    **{kind: frozenset({K.STREET_WORKING_COMMITTEE}) for kind in COMMUNITY_KINDS},
    K.GRID_BRANCH: COMMUNITY_KINDS,
    K.BUILDING_GROUP: COMMUNITY_KINDS | {K.GRID_BRANCH},
    K.MEMBER_CENTRAL_HOUSEHOLD: frozenset({K.BUILDING_GROUP}),
    K.PARK_COMMITTEE: frozenset({K.DISTRICT_COMMITTEE, K.STREET_WORKING_COMMITTEE}),
    K.BUSINESS_DISTRICT_COMMITTEE: frozenset({K.DISTRICT_COMMITTEE, K.STREET_WORKING_COMMITTEE}),
    K.JOINT_BRANCH: COMMUNITY_KINDS
    | {K.STREET_WORKING_COMMITTEE, K.PARK_COMMITTEE, K.BUSINESS_DISTRICT_COMMITTEE},
}

_CODE = re.compile(r"[0-9]{12}", re.ASCII)
_GRID_BRANCH_CODE = re.compile(r"[0-9]{15}", re.ASCII)
MAX_CODE = 32
PARTY_FOUNDED = date(1921, 7, 1)
"""No Party organization was established, and no member joined, before this day."""


def check_name(name: str) -> str:
    """A name (of an organization or a member): NFKC-normalised, invisible characters
    removed, whitespace runs as one space (``domain.shared.text.clean``); 1–120 characters."""
    cleaned = clean(name)
    if not cleaned:
        raise InvalidInput("name must not be empty (nor only invisible characters)", field="name")
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(f"name is longer than {MAX_NAME} characters", field="name")
    return cleaned


def check_established_on(established_on: date, today: date) -> date:
    """An establishment date that can be true: not before the Party's founding, not ahead."""
    if established_on > today:
        raise InvalidInput("the establishment date lies in the future", field="establishedOn")
    if established_on < PARTY_FOUNDED:
        raise InvalidInput(f"no Party organization was established before {PARTY_FOUNDED.isoformat()}",
                           field="establishedOn")
    return established_on


def check_parent(kind: OrganizationKind, parent_kind: OrganizationKind | None) -> None:
    legal = LEGAL_PARENTS[kind]
    if parent_kind is None:
        if legal:
            raise IllegalParent(f"a {kind.value} needs a parent organization", field="parentId")
        return
    if parent_kind not in legal:
        allowed = ", ".join(sorted(k.value for k in legal)) or "none (it is a root)"
        raise IllegalParent(
            f"a {kind.value} cannot sit under a {parent_kind.value}; allowed parents: {allowed}",
            field="parentId",
        )


def check_code(kind: OrganizationKind, code: str | None, parent_code: str | None) -> str | None:
    """Validate the 12-digit statistical division code of streets and communities.

    Layout: 2 province + 2 city + 2 county + 3 street + 3 community. A street's
    community part is 000; a community's code extends its street's first nine digits.
    A grid Party branch's code extends its community's (``check_grid_branch_code``);
    other kinds' codes are free text up to 32 characters.
    """
    if code is not None:
        # Fullwidth digits become ASCII and invisible characters go before the check and
        # the claim, so one code has one spelling; other scripts' digits are refused.
        code = clean(code) or None
    if kind is K.GRID_BRANCH:
        return check_grid_branch_code(code, parent_code)
    if kind not in DIVISION_CODED_KINDS:
        if code is not None and len(code) > MAX_CODE:
            raise InvalidInput(f"code is longer than {MAX_CODE} characters", field="code")
        return code
    if code is None:
        raise InvalidInput(f"a {kind.value} needs its 12-digit division code", field="code")
    if not _CODE.fullmatch(code) or not ascii_digits(code):
        raise InvalidInput("a division code has exactly 12 digits (0-9)", field="code")
    if code[:2] == "00" or code[2:4] == "00" or code[4:6] == "00":
        raise InvalidInput("province, city and county digits must not be 00", field="code")
    street, community = code[6:9], code[9:]
    if street == "000":
        raise InvalidInput("the street digits (7–9) must not be 000", field="code")
    if kind is K.STREET_WORKING_COMMITTEE and community != "000":
        raise InvalidInput("a street's code ends in 000", field="code")
    if kind in COMMUNITY_KINDS:
        if community == "000":
            raise InvalidInput("a community's code must not end in 000", field="code")
        if parent_code is not None and _CODE.match(parent_code) and parent_code[:9] != code[:9]:
            raise InvalidInput(
                f"a community's code must start with its street's {parent_code[:9]}",
                field="code",
            )
    return code


def check_grid_branch_code(code: str | None, community_code: str | None) -> str | None:
    """A grid Party branch's (网格党支部) own code, if it has one yet.

    The branch keeps an organization code of its own rather than borrowing a grid's: it
    covers several grids, which are split, merged and retired under it while the branch
    lives on, so "the first grid's code" would name a grid that may be gone. The code the
    district assigns follows the unified code system all the same: 15 digits, the
    community's 12-digit division code and a 3-digit sequence (not 000), so a branch is
    found under its community as its grids are. It may equal the code of a grid it covers
    (the usual choice: the claims are apart, ``organization.code`` and ``grid.code``).
    A branch established before its grids are drawn has none yet (optional, as before).

    Checked when a branch is established only: branches recorded before this rule keep
    whatever code their event holds (events are never rewritten; replay does not check).
    """
    if code is None:
        return None
    if not _GRID_BRANCH_CODE.fullmatch(code) or not ascii_digits(code):
        raise InvalidGridBranchCode(
            "a grid Party branch's code has exactly 15 digits (0-9): its community's 12-digit division code"
            " and a 3-digit sequence", field="code")
    if code[12:] == "000":
        raise InvalidGridBranchCode("a grid Party branch's sequence (digits 13–15) must not be 000", field="code")
    if community_code is None or code[:12] != community_code:
        raise InvalidGridBranchCode(
            f"a grid Party branch's code must start with its community's division code {community_code}",
            field="code")
    return code


class Organization(Aggregate):
    """A Party organization: its kind, name, code, and place in the tree."""

    class Established(Aggregate.Created):
        kind: OrganizationKind
        name: str
        code: str | None
        parent_id: UUID | None
        established_on: date

    @event(Established)
    def __init__(
        self,
        kind: OrganizationKind,
        name: str,
        code: str | None,
        parent_id: UUID | None,
        established_on: date,
    ) -> None:
        self.kind = kind
        self.name = name
        self.code = code
        self.parent_id = parent_id
        self.established_on = established_on
        self.dissolved_on: date | None = None

    @classmethod
    def create_id(cls, *args: object, **kwargs: object) -> UUID:
        return uuid4()

    @property
    def dissolved(self) -> bool:
        return self.dissolved_on is not None

    def ensure_active(self) -> None:
        if self.dissolved:
            raise OrganizationDissolved(f"organization {self.name} was dissolved")

    def rename(self, name: str) -> None:
        self.ensure_active()
        name = check_name(name)
        if name != self.name:
            self._renamed(name=name)

    @event("Renamed")
    def _renamed(self, name: str) -> None:
        self.name = name

    def move(self, new_parent: Organization) -> None:
        self.ensure_active()
        new_parent.ensure_active()
        check_parent(self.kind, new_parent.kind)
        if new_parent.id != self.parent_id:
            self._moved(parent_id=new_parent.id, previous_parent_id=self.parent_id)

    @event("Moved")
    def _moved(self, parent_id: UUID, previous_parent_id: UUID | None) -> None:
        self.parent_id = parent_id

    def dissolve(self, dissolved_on: date, today: date) -> None:
        self.ensure_active()
        if dissolved_on > today:
            raise InvalidInput("the dissolution date lies in the future", field="dissolvedOn")
        if dissolved_on < self.established_on:
            raise InvalidInput("an organization is dissolved after it was established",
                               field="dissolvedOn")
        self._dissolved(dissolved_on=dissolved_on)

    @event("Dissolved")
    def _dissolved(self, dissolved_on: date) -> None:
        self.dissolved_on = dissolved_on
