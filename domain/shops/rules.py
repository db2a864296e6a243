"""Local rules of demonstration shops (configuration, ``api.config.ShopSettings``), and the
checks of dates, points and scores that follow from them."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date

from domain.shared.errors import InvalidInput

DEFAULT_CRITERIA: tuple[tuple[str, int], ...] = (
    ("SERVICE_QUALITY", 30), ("INTEGRITY", 30), ("MEMBER_DUTIES", 20), ("COMPLAINTS", 20),
)
"""The quarterly criteria and the most points each gives (a 100-point scale)."""


MAX_CRITERIA, MAX_CRITERION = 20, 40
"""The most criteria a score names, and the longest criterion name."""


@dataclass(frozen=True)
class ShopRules:
    """Local rules (*local* in DOMAIN.md): the notice's default length, when an unrecovered
    plaque is overdue, how far behind a member's dues may be, the score criteria and the
    star thresholds of the yearly review."""

    notice_days: int = 5
    """Days a public notice runs unless the round states its own."""
    plaque_overdue_days: int = 30
    """Days after revocation by which the plaque should be recovered."""
    dues_grace_months: int = 6
    """A member whose dues are paid through a month this many months back or more is not
    in good standing (six months without dues is the review flag of DOMAIN.md)."""
    criteria: tuple[tuple[str, int], ...] = DEFAULT_CRITERIA
    five_stars_from: int = 90
    """A yearly average at or above this confirms five stars."""
    three_stars_from: int = 75
    """At or above this (below five stars): three stars; below it the review revokes."""


class Outcome(enum.Enum):
    """What a yearly review confirms."""

    FIVE_STARS = "FIVE_STARS"
    THREE_STARS = "THREE_STARS"
    REVOKED = "REVOKED"


def review_outcome(average: float, rules: ShopRules) -> Outcome:
    if average >= rules.five_stars_from:
        return Outcome.FIVE_STARS
    if average >= rules.three_stars_from:
        return Outcome.THREE_STARS
    return Outcome.REVOKED


def check_on(on: date, today: date, after: date | None, field: str, what: str) -> date:
    """A step's date: not ahead of today, not before the step it follows."""
    if on > today:
        raise InvalidInput(f"{what} cannot be dated ahead of today", field=field)
    if after is not None and on < after:
        raise InvalidInput(f"{what} is dated on or after {after.isoformat()}", field=field)
    return on


def check_point(longitude: float | None, latitude: float | None) -> list[float] | None:
    """A map point ([longitude, latitude], WGS-84) within China's extent, or none."""
    if longitude is None and latitude is None:
        return None
    if longitude is None or latitude is None:
        raise InvalidInput("a point has both a longitude and a latitude", field="longitude")
    if not (math.isfinite(longitude) and math.isfinite(latitude)
            and 73 <= longitude <= 136 and 3 <= latitude <= 54):
        raise InvalidInput("a point lies within China: longitude 73–136, latitude 3–54", field="longitude")
    return [round(longitude, 7), round(latitude, 7)]


def check_scores(scores: tuple[tuple[str, int], ...], rules: ShopRules) -> dict[str, int]:
    """Points for every configured criterion, each from 0 to its most."""
    if len(scores) > MAX_CRITERIA or any(len(name) > MAX_CRITERION for name, _ in scores):
        raise InvalidInput(f"at most {MAX_CRITERIA} criteria of at most {MAX_CRITERION} characters", field="scores")
    most = dict(rules.criteria)
    given = dict(scores)
    if len(given) != len(scores):
        raise InvalidInput("each criterion is scored once", field="scores")
    unknown = sorted(set(given) - set(most))
    if unknown:
        raise InvalidInput(f"unknown criteria {', '.join(unknown)}; score {', '.join(most)}", field="scores")
    missing = sorted(set(most) - set(given))
    if missing:
        raise InvalidInput(f"score every criterion: {', '.join(missing)} missing", field="scores")
    for name, points in given.items():
        if not 0 <= points <= most[name]:
            raise InvalidInput(f"{name} scores 0–{most[name]} points", field="scores")
    return {name: given[name] for name in most}
