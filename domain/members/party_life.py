"""Party life (组织生活): meetings of the 三会一课 and the monthly theme day (主题党日).

- **A meeting** (``PartyLifeMeeting``, one stream per meeting): the organization that held
  it, its kind, date and topic, and who attended, who was absent with leave and who without
  (member ids; at most ``MAX_ATTENDANCE`` in all, each named once). A member named is one
  whose home is the organization or an organization above it (a Party group's or a grid
  branch's members usually have their home at the branch or community above), who has not
  exited and had joined by the meeting's date. A mistaken record is not edited: the
  meeting is recorded again and the mistaken one stays in the log (no correction command
  yet).
- **Evidence for the six-month review**: attending a meeting is Party life; the
  ``members`` read model takes the meeting's date as each attendee's latest Party life
  (``last_party_life_on``), as it does for ``Member.ActivityRecorded``. Absence is not.
- **Required counts** (``PartyLifeRules``, ``GRASSROOTS_PARTY_LIFE_REQUIRED``): per kind, a
  number per month or per quarter (defaults: general meeting 1 a quarter, committee meeting
  1 a month, group meeting 1 a month, lecture 1 a quarter, theme day 1 a month). Branches
  (``BRANCH_KINDS``) are held to them; a meeting counts for every branch at or above its
  organization (a group's meeting is its branch's). For a month only the monthly kinds are
  judged; for a quarter the quarterly kinds and the monthly ones three times over (in all,
  not month by month: a month is judged on its own).

Pure rules and the aggregate: no I/O.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.organizations.aggregate import PARTY_FOUNDED, OrganizationKind
from domain.shared.errors import InvalidInput
from domain.shared.text import clean

MAX_ATTENDANCE = 300
"""Members named on one meeting's record (attended and absent together)."""
MAX_TOPIC = 200
BRANCH_KINDS = frozenset({OrganizationKind.COMMUNITY_BRANCH, OrganizationKind.GRID_BRANCH,
                          OrganizationKind.JOINT_BRANCH})
"""Branches (支部): the organizations held to the required counts."""


class MeetingKind(enum.Enum):
    """The 三会一课 and the theme day."""

    BRANCH_GENERAL_MEETING = "BRANCH_GENERAL_MEETING"
    """支部党员大会."""
    BRANCH_COMMITTEE_MEETING = "BRANCH_COMMITTEE_MEETING"
    """支部委员会."""
    GROUP_MEETING = "GROUP_MEETING"
    """党小组会."""
    PARTY_LECTURE = "PARTY_LECTURE"
    """党课."""
    THEME_DAY = "THEME_DAY"
    """主题党日."""


class Cadence(enum.Enum):
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"


@dataclass(frozen=True)
class Requirement:
    """``count`` meetings of ``kind`` each month or each quarter."""

    kind: MeetingKind
    cadence: Cadence
    count: int


DEFAULT_REQUIRED = ("BRANCH_GENERAL_MEETING:QUARTERLY:1,BRANCH_COMMITTEE_MEETING:MONTHLY:1,"
                    "GROUP_MEETING:MONTHLY:1,PARTY_LECTURE:QUARTERLY:1,THEME_DAY:MONTHLY:1")


def parse_requirements(text: str) -> tuple[Requirement, ...]:
    """``KIND:MONTHLY|QUARTERLY:count`` pairs, comma-separated; a kind at most once (a kind
    left out is not required; count 0–31)."""
    found: dict[MeetingKind, Requirement] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            kind, cadence, count = (x.strip().upper() for x in part.split(":"))
            req = Requirement(MeetingKind(kind), Cadence(cadence), int(count))
        except ValueError:
            raise ValueError(f"bad requirement {part!r} (expected e.g. THEME_DAY:MONTHLY:1)") from None
        if req.kind in found or not 0 <= req.count <= 31:
            raise ValueError(f"{part!r}: each kind once, with a count of 0–31")
        found[req.kind] = req
    return tuple(found.values())


@dataclass(frozen=True)
class PartyLifeRules:
    """Local policy: the required meetings per kind (configuration: ``api.config``)."""

    required: tuple[Requirement, ...] = field(default_factory=lambda: parse_requirements(DEFAULT_REQUIRED))


@dataclass(frozen=True)
class Period:
    """A month (``2026-03``) or a quarter (``2026-Q1``): its first and last day."""

    text: str
    start: date
    end: date
    quarter: bool


_PERIOD = re.compile(r"([0-9]{4})-(?:Q([1-4])|(0[1-9]|1[0-2]))", re.ASCII)


def parse_period(text: str) -> Period:
    m = _PERIOD.fullmatch(text.strip())
    if m is None or not 1921 <= int(m.group(1)) <= 9998:
        raise InvalidInput("a period is a month (2026-03) or a quarter (2026-Q1)", field="period")
    year = int(m.group(1))
    first = (int(m.group(2)) - 1) * 3 + 1 if m.group(2) else int(m.group(3))
    months = 3 if m.group(2) else 1
    last = first + months - 1
    end = date(year + 1, 1, 1) if last == 12 else date(year, last + 1, 1)
    return Period(text.strip(), date(year, first, 1), date.fromordinal(end.toordinal() - 1), months == 3)


def required_in(rules: PartyLifeRules, period: Period) -> dict[MeetingKind, int]:
    """How many meetings of each kind the period requires (kinds requiring none left out)."""
    out: dict[MeetingKind, int] = {}
    for r in rules.required:
        months = 3 if period.quarter else 1
        n = r.count * months if r.cadence is Cadence.MONTHLY else r.count * (months // 3)
        if n:
            out[r.kind] = n
    return out


def check_meeting(held_on: date, topic: str, today: date, attended: tuple[UUID, ...],
                  with_leave: tuple[UUID, ...], without_leave: tuple[UUID, ...]) -> str:
    """The date (not ahead of today), the topic (1–200 characters) and the lists (each
    member once, at most ``MAX_ATTENDANCE`` in all); returns the cleaned topic."""
    if held_on > today:
        raise InvalidInput("the meeting's date lies in the future", field="heldOn")
    if held_on < PARTY_FOUNDED:
        raise InvalidInput("no meeting was held before the Party's founding", field="heldOn")
    cleaned = clean(topic)
    if not 1 <= len(cleaned) <= MAX_TOPIC:
        raise InvalidInput(f"a topic has 1–{MAX_TOPIC} characters", field="topic")
    everyone = (*attended, *with_leave, *without_leave)
    if len(everyone) > MAX_ATTENDANCE:
        raise InvalidInput(f"a meeting's record names at most {MAX_ATTENDANCE} members", field="attended")
    if len(set(everyone)) != len(everyone):
        raise InvalidInput("each member is named once: attended, absent with leave or absent without",
                           field="attended")
    if not attended:
        raise InvalidInput("a meeting was attended by someone", field="attended")
    return cleaned


class PartyLifeMeeting(Aggregate):
    """One meeting of Party life, as recorded by the organization that held it."""

    class Recorded(Aggregate.Created):
        organization_id: UUID
        kind: MeetingKind
        held_on: date
        topic: str
        attended: list[UUID]
        absent_with_leave: list[UUID]
        absent_without_leave: list[UUID]

    @event(Recorded)
    def __init__(self, organization_id: UUID, kind: MeetingKind, held_on: date, topic: str, attended: list[UUID],
                 absent_with_leave: list[UUID], absent_without_leave: list[UUID]) -> None:
        self.organization_id = organization_id
        self.kind = kind
        self.held_on = held_on
        self.topic = topic
        self.attended = attended
        self.absent_with_leave = absent_with_leave
        self.absent_without_leave = absent_without_leave

    @classmethod
    def create_id(cls, *args: object, **kwargs: object) -> UUID:
        return uuid4()
