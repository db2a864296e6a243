"""Volunteer hours (志愿服务时长): entries per member and year, and what counts.

An entry has an activity (the project: 1–100 characters), a date, hours (a decimal with one
decimal place, 0.1–24.0) and who confirmed it. Only confirmed hours count; the yearly
minimum is local policy (``VolunteerRules``: ``GRASSROOTS_VOLUNTEER_MIN_HOURS`` 24 and
``GRASSROOTS_VOLUNTEER_MIN_PROJECTS`` 1, as in seed 003): confirmed hours in the year and
distinct activities (projects) among them.

Two ways in, one event that counts:

- A member logs their own hours (``VolunteerHoursLogged``: pending); the community secretary
  of the community the member reported to that year, or of the home, confirms
  (``VolunteerHoursConfirmed``, source ``MEMBER``) or rejects it (``VolunteerHoursRejected``).
- The community (or the home) logs hours it saw done: confirmed at once
  (``VolunteerHoursConfirmed``, source ``COMMUNITY``).

**The contract for other areas.** ``Member.contribute_volunteer_hours(entry_id, activity, on,
hours, source, reference, today)`` records ``Member.VolunteerHoursConfirmed`` with the
area's own ``source`` (``SERVICE_ORDER``: upper-case letters and underscores, not one of
``OWN_SOURCES``) and ``reference`` (the order's id), checked by the same rules. A command of
that area loads the member, calls it, and appends the member's event together with its own
in one atomic multi-stream append (``Decision(events=[...both streams...])``); the entry id
is the caller's (uuid5 of its reference), so a repeat is refused (``VolunteerHoursNotAllowed``)
instead of counting twice. Readers need nothing new: the ``volunteer_entries`` read model and
the appraisal count every confirmed entry, whatever its source.

Pure rules: no I/O; the aggregate (``domain.members.aggregate``) records the events.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.members.errors import VolunteerHoursNotAllowed
from domain.shared.errors import InvalidInput
from domain.shared.text import clean

MAX_ACTIVITY, MAX_REFERENCE = 100, 100
MIN_HOURS, MAX_HOURS = Decimal("0.1"), Decimal("24.0")
MAX_ENTRIES_PER_YEAR = 400
"""Entries of one member in one year (pending and confirmed): more than one a day is rare."""
_HOURS = re.compile(r"[0-9]{1,2}(\.[0-9])?", re.ASCII)
_SOURCE = re.compile(r"[A-Z][A-Z_]{1,39}", re.ASCII)


class VolunteerState(enum.Enum):
    """Where a volunteer entry stands."""

    PENDING = "PENDING"
    """Logged by the member, waiting for the community's confirmation: does not count yet."""
    CONFIRMED = "CONFIRMED"
    """Confirmed: counts towards the year's minimum."""
    REJECTED = "REJECTED"
    """The community did not confirm it: never counts."""


MEMBER_SOURCE, COMMUNITY_SOURCE = "MEMBER", "COMMUNITY"
OWN_SOURCES = frozenset({MEMBER_SOURCE, COMMUNITY_SOURCE})
"""Sources of this area's own commands; other areas name theirs (``SERVICE_ORDER``)."""


@dataclass(frozen=True)
class VolunteerRules:
    """The yearly volunteer minimum (configuration: ``api.config``)."""

    min_hours: Decimal = Decimal("24.0")
    min_projects: int = 1


@dataclass
class VolunteerEntry:
    """One entry, as the member's stream has it."""

    id: UUID
    activity: str
    on: date
    hours: Decimal
    state: VolunteerState


def parse_hours(value: str | Decimal) -> Decimal:
    """Hours as the client writes them (``"2.5"``): ASCII digits, at most one decimal place,
    0.1–24.0. A ``Decimal`` (from code) must have at most one decimal place too."""
    if isinstance(value, str):
        if not _HOURS.fullmatch(value):
            raise InvalidInput(f"{value[:20]!r} is not hours: write digits with at most one decimal place,"
                               " such as \"2.5\"", field="hours")
        hours = Decimal(value)
    else:
        hours = value
        if not hours.is_finite() or hours != hours.quantize(Decimal("0.1")):
            raise InvalidInput("hours have at most one decimal place", field="hours")
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise InvalidInput(f"an entry has {MIN_HOURS}–{MAX_HOURS} hours", field="hours")
    return hours.quantize(Decimal("0.1"))


def check_activity(value: str) -> str:
    text = clean(value)
    if not 1 <= len(text) <= MAX_ACTIVITY:
        raise InvalidInput(f"an activity has 1–{MAX_ACTIVITY} characters", field="activity")
    return text


def check_source(source: str, reference: str | None) -> tuple[str, str | None]:
    """Another area's source and reference (``contribute_volunteer_hours``)."""
    if not _SOURCE.fullmatch(source) or source in OWN_SOURCES:
        raise InvalidInput("a contributing area names its source in capitals (SERVICE_ORDER), not MEMBER or"
                           " COMMUNITY", field="source")
    ref = clean(reference or "") or None
    if ref is not None and len(ref) > MAX_REFERENCE:
        raise InvalidInput(f"a reference has at most {MAX_REFERENCE} characters", field="reference")
    return source, ref


def check_entry(entries: dict[UUID, VolunteerEntry], entry_id: UUID, on: date, joined_on: date,
                today: date) -> None:
    if entry_id in entries:
        raise VolunteerHoursNotAllowed(f"volunteer entry {entry_id} was recorded already", field="entryId")
    if on > today:
        raise InvalidInput("the date lies in the future", field="on")
    if on < joined_on:
        raise InvalidInput("a member volunteers (as a member) after joining", field="on")
    if sum(1 for e in entries.values() if e.on.year == on.year) >= MAX_ENTRIES_PER_YEAR:
        raise VolunteerHoursNotAllowed(f"a member has at most {MAX_ENTRIES_PER_YEAR} entries in {on.year}",
                                       field="on")


def pending_entry(entries: dict[UUID, VolunteerEntry], entry_id: UUID) -> VolunteerEntry:
    found = entries.get(entry_id)
    if found is None:
        raise VolunteerHoursNotAllowed(f"the member has no volunteer entry {entry_id}", field="entryId")
    if found.state is not VolunteerState.PENDING:
        raise VolunteerHoursNotAllowed(f"volunteer entry {entry_id} is {found.state.value.lower()} already",
                                       field="entryId")
    return found


@dataclass(frozen=True)
class YearTotal:
    """What counts in a year: confirmed hours and distinct projects."""

    hours: Decimal
    projects: int

    def below(self, rules: VolunteerRules) -> bool:
        return self.hours < rules.min_hours or self.projects < rules.min_projects


def year_total(entries: dict[UUID, VolunteerEntry], year: int) -> YearTotal:
    confirmed = [e for e in entries.values() if e.state is VolunteerState.CONFIRMED and e.on.year == year]
    hours = sum((e.hours for e in confirmed), Decimal("0.0"))
    return YearTotal(hours.quantize(Decimal("0.1")), len({e.activity.casefold() for e in confirmed}))
