"""The yearly democratic appraisal (民主评议党员): one rating per member and year, by the branch
(the community secretary of the member's home, or those above it).

The rules, checked when the rating is recorded (``AppraisalNotAllowed`` names the rule and
the figures):

- ``ONCE_A_YEAR``: a member is rated once for a year.
- ``RESIDENCE_REPORT``: a member in service that year (dues assessed as ``EMPLOYED``,
  ``domain.members.reporting``) who did not report where they live that year is rated at
  most ``BASICALLY_QUALIFIED``.
- ``VOLUNTEER_MINIMUM``: a member below the year's volunteer minimum (confirmed hours and
  projects, ``domain.members.volunteering``) is rated at most ``BASICALLY_QUALIFIED``. It
  applies to every member, as the issue states it (seed 003 sets one minimum for all).

Pure rules: no I/O; the aggregate (``domain.members.aggregate``) records the events.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from domain.members.errors import AppraisalNotAllowed
from domain.members.volunteering import VolunteerRules, YearTotal
from domain.shared.errors import InvalidInput


class AppraisalRating(enum.Enum):
    """The yearly appraisal's rating."""

    EXCELLENT = "EXCELLENT"
    """优秀."""
    QUALIFIED = "QUALIFIED"
    """合格."""
    BASICALLY_QUALIFIED = "BASICALLY_QUALIFIED"
    """基本合格."""
    UNQUALIFIED = "UNQUALIFIED"
    """不合格."""


QUALIFIED_OR_BETTER = frozenset({AppraisalRating.EXCELLENT, AppraisalRating.QUALIFIED})


@dataclass(frozen=True)
class Appraisal:
    year: int
    rating: AppraisalRating
    appraised_on: date


def check_appraisal(appraisals: dict[int, Appraisal], year: int, rating: AppraisalRating, appraised_on: date,
                    joined_on: date, today: date, *, in_service: bool, reported: bool, total: YearTotal,
                    rules: VolunteerRules) -> None:
    if not joined_on.year <= year <= today.year:
        raise InvalidInput(f"a member is appraised for a year from {joined_on.year} to {today.year}", field="year")
    if appraised_on > today:
        raise InvalidInput("the appraisal date lies in the future", field="appraisedOn")
    if appraised_on.year < year:
        raise InvalidInput(f"the appraisal of {year} is held in {year} or later", field="appraisedOn")
    earlier = appraisals.get(year)
    if earlier is not None:
        raise AppraisalNotAllowed(f"the member was rated {earlier.rating.value} for {year} already"
                                  f" (on {earlier.appraised_on.isoformat()})", rule="ONCE_A_YEAR", field="year")
    if rating not in QUALIFIED_OR_BETTER:
        return
    if in_service and not reported:
        raise AppraisalNotAllowed(f"in service in {year} (dues category EMPLOYED) and did not report to the"
                                  f" residence community in {year}: rated at most BASICALLY_QUALIFIED",
                                  rule="RESIDENCE_REPORT")
    if total.below(rules):
        raise AppraisalNotAllowed(f"{total.hours} confirmed volunteer hours in {total.projects} project(s) in"
                                  f" {year}, below the minimum of {rules.min_hours} hours and"
                                  f" {rules.min_projects} project(s): rated at most BASICALLY_QUALIFIED",
                                  rule="VOLUNTEER_MINIMUM")
