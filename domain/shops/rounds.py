"""Selection rounds (评选): one per year and business district, with a quota of new shops.

A round's id is derived from its organization and year (``round_id``), so a second round
for the same year and district is the same stream: opening it again is refused, and two
racing openings write the stream's first version, which only one can. The quota is a set
rule kept by the round's own stream: approving a shop appends ``SelectionRound.PlaceTaken``
in the same atomic append as ``Shop.Approved``, and the stream's version check lets only
one of two racing approvals take the last place (the other is retried on fresh state and
answers ``QuotaExhausted``). A refusal after approval gives the place back
(``SelectionRound.PlaceReleased``) in the refusal's append.

The round also knows its pending applications: an application enters it
(``SelectionRound.ApplicationReceived``, in the application's append) and leaves it when
the plaque is awarded or the application refused (``SelectionRound.ApplicationEnded``, in
that append). So a close (``SelectionRound.Closed``) is decided on the round's own stream:
it is refused while any application is pending, and once it is appended no application
enters (an application racing the close finds the stream moved and is retried against
the closed round).

Why the close is refused rather than refusing what is pending in its append: a refusal
ends an application until next year's round and states its own reason, decided at its
step by that step's decider; a close that refused every pending application at once would
record one generic reason for decisions nobody took shop by shop, and would throw out shops
in their public notice that had passed every review. The district awards or refuses each
(``refuseShop`` names why), then closes.
"""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import InvalidInput
from domain.shops.errors import QuotaExhausted, RoundNotAllowed

ROUND_NAMESPACE = UUID("6d1f3a52-9b0e-4c77-a3d8-5e2f71c4b690")
MAX_QUOTA = 1000
MAX_NOTICE_DAYS = 60
FIRST_YEAR, LAST_YEAR = 2000, 2100


def round_id(organization_id: UUID, year: int) -> UUID:
    """The stream id of ``organization_id``'s selection round of ``year``."""
    return uuid.uuid5(ROUND_NAMESPACE, f"{organization_id}/{year}")


def check_round(year: int, quota: int, notice_days: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"a round's year is {FIRST_YEAR}–{LAST_YEAR}", field="year")
    if not 1 <= quota <= MAX_QUOTA:
        raise InvalidInput(f"a quota is 1–{MAX_QUOTA} shops", field="quota")
    if not 1 <= notice_days <= MAX_NOTICE_DAYS:
        raise InvalidInput(f"a public notice runs 1–{MAX_NOTICE_DAYS} days", field="noticeDays")


class SelectionRound(Aggregate):
    """The year's selection of demonstration shops in one business district (or subtree)."""

    class Opened(Aggregate.Created):
        organization_id: UUID
        """The business-district committee (or community, street) whose shops it selects."""
        year: int
        quota: int
        notice_days: int
        opened_on: date

    @event(Opened)
    def __init__(self, organization_id: UUID, year: int, quota: int, notice_days: int, opened_on: date) -> None:
        self.organization_id = organization_id
        self.year = year
        self.quota = quota
        self.notice_days = notice_days
        self.opened_on = opened_on
        self.holders: set[UUID] = set()
        """The shops holding a place: approved, and not refused since."""
        self.pending: set[UUID] = set()
        """The shops whose application in this round is open (neither awarded nor refused)."""
        self.closed_on: date | None = None

    @classmethod
    def create_id(cls, organization_id: UUID, year: int, **_: object) -> UUID:
        return round_id(organization_id, year)

    def take_place(self, shop_id: UUID) -> None:
        """Hold a place of the quota for an approved shop, or refuse with QuotaExhausted."""
        if shop_id in self.holders:
            return
        if len(self.holders) >= self.quota:
            raise QuotaExhausted(f"the {self.year} round's quota of {self.quota} is taken", field="shopId")
        self._place_taken(shop_id=shop_id, taken=len(self.holders) + 1)

    @event("PlaceTaken")
    def _place_taken(self, shop_id: UUID, taken: int) -> None:
        self.holders.add(shop_id)

    def release_place(self, shop_id: UUID) -> None:
        if shop_id in self.holders:
            self._place_released(shop_id=shop_id, taken=len(self.holders) - 1)

    @event("PlaceReleased")
    def _place_released(self, shop_id: UUID, taken: int) -> None:
        self.holders.discard(shop_id)

    def receive_application(self, shop_id: UUID) -> None:
        """An application enters the round; refused once the round is closed."""
        if self.closed_on is not None:
            raise RoundNotAllowed(f"the {self.year} round closed on {self.closed_on.isoformat()}: it takes no"
                                  " applications", field="roundId")
        self._application_received(shop_id=shop_id, pending=len(self.pending | {shop_id}))

    @event("ApplicationReceived")
    def _application_received(self, shop_id: UUID, pending: int) -> None:
        self.pending.add(shop_id)

    def end_application(self, shop_id: UUID, outcome: str) -> None:
        """The shop's application left the round (``AWARDED`` or ``REFUSED``)."""
        if shop_id in self.pending:
            self._application_ended(shop_id=shop_id, outcome=outcome, pending=len(self.pending) - 1)

    @event("ApplicationEnded")
    def _application_ended(self, shop_id: UUID, outcome: str, pending: int) -> None:
        self.pending.discard(shop_id)

    def close(self, on: date, today: date) -> None:
        """Close the round: refused while applications are pending (see the module docstring)."""
        if self.closed_on is not None:
            raise RoundNotAllowed(f"the {self.year} round closed on {self.closed_on.isoformat()} already",
                                  field="roundId")
        if self.pending:
            raise RoundNotAllowed(f"{len(self.pending)} application(s) of the {self.year} round are pending: award or"
                                  " refuse each (with its reason) before closing the round", field="roundId")
        if on > today or on < self.opened_on:
            raise InvalidInput(f"a round closes between its opening ({self.opened_on.isoformat()}) and today",
                               field="on")
        self._closed(closed_on=on, awarded=len(self.holders))

    @event("Closed")
    def _closed(self, closed_on: date, awarded: int) -> None:
        """``awarded``: the places held when it closed (every one an awarded shop: nothing was pending)."""
        self.closed_on = closed_on
