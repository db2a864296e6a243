"""Dual reporting (双报到): an in-service member reports to the community where they live.

A member reports once a year (``ResidenceReported``): the community (an organization of the
tree of a community kind), the date and the needs they take on (认领的服务需求: up to
``MAX_NEEDS`` short texts). The year's deadline (``ReportingRules.deadline``,
``GRASSROOTS_REPORTING_DEADLINE``, ``"03-31"`` by default) marks a later report ``late``;
it still counts. Who has not reported is a read-side list
(``members(filter: {reported: false, year})``).

Who is in service: a member whose dues for that year were assessed in the category
``EMPLOYED`` (在职, ``domain.members.dues``). Retired members, students and members on the
minimum allowance are not held to reporting; a member without an assessment for the year
is not known to be in service, and the appraisal does not apply the reporting rule to them.

Pure rules: no I/O; the aggregate (``domain.members.aggregate``) records the events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.members.errors import ReportNotAllowed
from domain.shared.errors import InvalidInput
from domain.shared.text import clean

MAX_NEEDS, MAX_NEED = 10, 100


@dataclass(frozen=True)
class ResidenceReport:
    """One year's report where the member lives."""

    year: int
    community_id: UUID
    reported_on: date
    needs: tuple[str, ...]
    late: bool


@dataclass(frozen=True)
class ReportingRules:
    """Local policy of dual reporting (configuration: ``api.config``)."""

    deadline: tuple[int, int] = (3, 31)
    """Month and day by which each year's report is due (``GRASSROOTS_REPORTING_DEADLINE``)."""


def parse_deadline(text: str) -> tuple[int, int]:
    """``"03-31"``: the month and day of each year's reporting deadline (no 29 February)."""
    month, sep, day = text.strip().partition("-")
    try:
        if not sep or len(month) != 2 or len(day) != 2:
            raise ValueError
        date(2025, int(month), int(day))  # a non-leap year: every year has the day
    except ValueError:
        raise ValueError(f"bad deadline {text!r} (expected MM-DD, e.g. 03-31)") from None
    return int(month), int(day)


def deadline_of(year: int, deadline: tuple[int, int]) -> date:
    return date(year, *deadline)


def check_needs(needs: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = tuple(clean(n) for n in needs)
    if len(cleaned) > MAX_NEEDS:
        raise InvalidInput(f"a report takes on at most {MAX_NEEDS} needs", field="needs")
    if any(not 1 <= len(n) <= MAX_NEED for n in cleaned):
        raise InvalidInput(f"a need has 1–{MAX_NEED} characters", field="needs")
    if len(set(cleaned)) != len(cleaned):
        raise InvalidInput("a need is named once", field="needs")
    return cleaned


def check_report(reports: dict[int, ResidenceReport], reported_on: date, joined_on: date, today: date) -> None:
    if reported_on > today:
        raise InvalidInput("the report date lies in the future", field="reportedOn")
    if reported_on < joined_on:
        raise InvalidInput("a member reports after joining", field="reportedOn")
    earlier = reports.get(reported_on.year)
    if earlier is not None:
        raise ReportNotAllowed(f"the member reported for {reported_on.year} already (on"
                               f" {earlier.reported_on.isoformat()})", field="reportedOn")
