"""Mobile members (流动党员): away from home without transferring, "one home, several places
of Party life".

- **Card** (``MobileCardIssued``): the county organization department gives the activity
  card (流动党员活动证) its number; the card names the outflow organization (the member's
  home, which it stays: the member votes only there) and the inflow organization where the
  member takes part in Party life: one of the tree (``inflow_organization_id``) or one
  outside the system (``ExternalOrganization``: name, province, city, code where known).
  One open card at a time. Card numbers are unique for ever (a claim ``mobile-card`` taken
  in the append's transaction, never released: a closed card's number is not given again).
- **Yearly review** (年审, ``MobileCardReviewed``): once per calendar year; a card whose
  latest review (or issue) lies more than ``REVIEW_DAYS`` back is overdue (a read-side
  flag, computed as of today).
- **Return** (``MobileCardClosed``): the member is back; the card is closed.

Pure rules: no I/O; the aggregate (``domain.members.aggregate``) records the events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from domain.members.errors import MobileCardNotAllowed
from domain.members.transfers import ExternalOrganization
from domain.shared.errors import InvalidInput
from domain.shared.text import clean

CARD_SCOPE = "mobile-card"
"""The claim scope that keeps activity card numbers unique."""
_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9\-]{3,31}", re.ASCII)
REVIEW_DAYS = 365
"""A card not reviewed (nor issued) within this many days is overdue for its yearly review."""


def check_card_number(value: str) -> str:
    """4–32 characters: ASCII letters (upper-cased), digits and dashes, starting with a letter
    or digit (fullwidth forms normalised first, so one number has one spelling)."""
    number = clean(value).upper()
    if not _NUMBER.fullmatch(number):
        raise InvalidInput("an activity card number has 4–32 characters: letters A-Z, digits 0-9 and dashes,"
                           " starting with a letter or digit", field="number")
    return number


@dataclass
class MobileCard:
    """The member's activity card, as the stream has it."""

    number: str
    issued_on: date
    outflow_organization_id: UUID
    inflow_organization_id: UUID | None
    inflow_external: ExternalOrganization | None
    reviewed_years: tuple[int, ...] = ()
    last_reviewed_on: date | None = None
    closed_on: date | None = None

    @property
    def open(self) -> bool:
        return self.closed_on is None


def review_due_on(issued_on: date, last_reviewed_on: date | None) -> date:
    """The last day before the card is overdue for its yearly review."""
    return (last_reviewed_on or issued_on) + timedelta(days=REVIEW_DAYS)


def check_issue(card: MobileCard | None, issued_on: date, joined_on: date, today: date) -> None:
    if card is not None and card.open:
        raise MobileCardNotAllowed(f"card {card.number} is open: record the member's return first",
                                   field="number")
    if issued_on > today:
        raise InvalidInput("the issue date lies in the future", field="issuedOn")
    if issued_on < joined_on:
        raise InvalidInput("a card is issued after the member joined", field="issuedOn")


def open_card(card: MobileCard | None) -> MobileCard:
    if card is None or not card.open:
        raise MobileCardNotAllowed("the member holds no open activity card")
    return card


def check_review(card: MobileCard | None, reviewed_on: date, today: date) -> MobileCard:
    found = open_card(card)
    if reviewed_on > today:
        raise InvalidInput("the review date lies in the future", field="reviewedOn")
    if reviewed_on < (found.last_reviewed_on or found.issued_on):
        raise InvalidInput("a review follows the card's issue and its last review", field="reviewedOn")
    if reviewed_on.year in found.reviewed_years:
        raise MobileCardNotAllowed(f"card {found.number} was reviewed for {reviewed_on.year} already",
                                   field="reviewedOn")
    return found


def check_return(card: MobileCard | None, returned_on: date, today: date) -> MobileCard:
    found = open_card(card)
    if returned_on > today:
        raise InvalidInput("the return date lies in the future", field="returnedOn")
    if returned_on < found.issued_on:
        raise InvalidInput("a return follows the card's issue", field="returnedOn")
    return found
