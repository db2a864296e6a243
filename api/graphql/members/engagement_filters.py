"""The ``members`` filters of mobile members, dual reporting, volunteer hours and dues arrears:
the SQL forms of ``Member.mobileCard``, ``reports``, ``volunteerHours(year).belowMinimum``."""

from __future__ import annotations

from typing import Any

from api import views
from api.graphql.core.context import Info
from domain.members.dues import month_at, month_index

MOBILE = "EXISTS (SELECT 1 FROM mobile_cards k WHERE k.member_id = members.id AND k.closed_on IS NULL)"
REPORTED = "EXISTS (SELECT 1 FROM residence_reports r WHERE r.member_id = members.id AND r.year = ?)"
IN_SERVICE = ("EXISTS (SELECT 1 FROM dues_assessments a WHERE a.member_id = members.id AND a.year = ?"
              " AND a.category = 'EMPLOYED')")
BELOW = ("(SELECT coalesce(sum(v.hours), 0) < ? OR count(DISTINCT lower(v.activity)) < ? FROM volunteer_entries v"
         " WHERE v.member_id = members.id AND v.year = ? AND v.state = 'CONFIRMED')")
IN_ARREARS = "(dues_paid_through IS NULL OR dues_paid_through < ?)"


def _flag(c: views.Conditions, flag: bool | None, sql: str, *values: Any) -> None:
    if flag is not None:
        c.add(sql if flag else f"NOT {sql}", *values)


def engagement_conditions(c: views.Conditions, f: Any, info: Info) -> None:
    """Add the filter's engagement conditions (``MemberFilter``'s fields of this module)."""
    today = info.context.today()
    year = today.year if f.year is None else f.year
    if not 1921 <= year <= 9999:
        raise ValueError(f"year is from 1921 to 9999: {year}")
    rules = info.context.settings.members.volunteer_rules
    _flag(c, f.mobile, MOBILE)
    _flag(c, f.reported, REPORTED, year)
    _flag(c, f.in_service, IN_SERVICE, year)
    _flag(c, f.below_volunteer_minimum, BELOW, rules.min_hours, rules.min_projects, year)
    _flag(c, f.dues_in_arrears, IN_ARREARS, month_at(month_index(today) - 1))
