"""An organization's dues account (党费账) for one year: dues passed up (上缴) and allocated
back to a red fund (党费划拨).

Members pay their dues at their home organization (the members area's ``Member.DuesPaid``,
counted where the member belonged when paying). What an organization holds of a year's
dues:

    held = collected (its own members' payments that year)
         + received  (remittances from the organizations directly under it)
         − remitted  (passed up to the organization directly above it)
         − allocated (allocated to red funds of its subtree)

and neither a remittance nor an allocation may make ``held`` negative (``DuesNotAvailable``).

One stream per organization and year (its id derived from both), so the account's own
figures are one consistent state guarded by the stream version: two remittances, or a
remittance and an allocation, racing for the same money cannot both commit (the loser is
retried against the new state and refused if the money is gone). A remittance changes the
sender's and the receiver's account in one append; an allocation changes the account and
the red fund's ledger (``Fund.Allocated`` with source ``DUES_ALLOCATION``) in one append.

``collected`` comes from the members' payments (``DuesCollections``): the command handling
is given the read model's sum (``api.bootstrap``); the default folds the log. Collections
are never undone (a dues payment has no reversal; a transfer leaves past collections where
they were), so a collection figure that lags the log can only be too small: it may refuse a
remittance a moment early, never let one exceed what was collected.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.funds.errors import DuesNotAvailable
from domain.members.aggregate import Member
from domain.shared.errors import InvalidInput
from domain.shared.money import ZERO, fmt
from domain.shared.ports import EventStore

DUES_ACCOUNT_NAMESPACE = UUID("0b6f3d0e-5a51-4c1e-9a43-7d2be0c5d925")
MAX_DOCUMENT = 80
DUES_PAID = Member.DuesPaid.__qualname__  # type: ignore[attr-defined]
"""The members area's event of a dues payment (``Member.DuesPaid``)."""


def dues_account_id(organization_id: UUID, year: int) -> UUID:
    """The account's stream id, derived from its natural key (one per organization and year)."""
    return uuid.uuid5(DUES_ACCOUNT_NAMESPACE, f"{organization_id}/{year}")


def check_months(months: tuple[int, ...], year: int, today: date) -> list[int]:
    """The months of ``year`` a remittance covers: 1–12, each once, none still to come."""
    if not months:
        raise InvalidInput("a remittance covers at least one month", field="months")
    if any(not 1 <= m <= 12 for m in months) or len(set(months)) != len(months):
        raise InvalidInput("months are 1–12, each named once", field="months")
    if any(date(year, m, 1) > today for m in months):
        raise InvalidInput("a remittance covers months that have begun", field="months")
    return sorted(months)


def check_document(document_no: str) -> str:
    cleaned = document_no.strip()
    if not cleaned or len(cleaned) > MAX_DOCUMENT:
        raise InvalidInput(f"documentNo has 1–{MAX_DOCUMENT} characters", field="documentNo")
    return cleaned


class DuesAccount(Aggregate):
    """One organization's dues of one year: what it passed up, received and allocated."""

    class Opened(Aggregate.Created):
        organization_id: UUID
        year: int

    @event(Opened)
    def __init__(self, organization_id: UUID, year: int) -> None:
        self.organization_id = organization_id
        self.year = year
        self.received = ZERO
        self.remitted = ZERO
        self.allocated = ZERO

    @classmethod
    def create_id(cls, organization_id: UUID, year: int, **_: object) -> UUID:
        return dues_account_id(organization_id, year)

    def held(self, collected: Decimal) -> Decimal:
        return collected + self.received - self.remitted - self.allocated

    def _check_held(self, amount: Decimal, collected: Decimal, what: str) -> None:
        held = self.held(collected)
        if amount > held:
            raise DuesNotAvailable(
                f"{what} {fmt(amount)} exceeds the {self.year} dues held: {fmt(held)} (collected {fmt(collected)}"
                f" + received {fmt(self.received)} − remitted {fmt(self.remitted)} − allocated"
                f" {fmt(self.allocated)})", field="amount")

    def _check_date(self, on: date, today: date, field: str) -> None:
        if on > today:
            raise InvalidInput(f"{on.isoformat()} lies after today", field=field)
        if on.year < self.year:
            raise InvalidInput(f"the {self.year} dues move in {self.year} or later", field=field)

    # -- remittances (上缴) ---------------------------------------------------------------

    def remit(self, to_organization_id: UUID, months: list[int], amount: Decimal, remitted_on: date,
              document_no: str, collected: Decimal, today: date) -> UUID:
        """Pass ``amount`` of the year's dues up to ``to_organization_id`` (the receiver
        records ``RemittanceReceived`` in the same append)."""
        self._check_date(remitted_on, today, "remittedOn")
        self._check_held(amount, collected, "remitting")
        remittance_id = uuid4()
        self._remitted(remittance_id=remittance_id, to_organization_id=to_organization_id, months=months,
                       amount=amount, remitted_on=remitted_on, document_no=check_document(document_no))
        return remittance_id

    @event("Remitted")
    def _remitted(self, remittance_id: UUID, to_organization_id: UUID, months: list[int], amount: Decimal,
                  remitted_on: date, document_no: str) -> None:
        self.remitted += amount

    def receive(self, remittance_id: UUID, from_organization_id: UUID, months: list[int], amount: Decimal,
                remitted_on: date, document_no: str) -> None:
        self._remittance_received(remittance_id=remittance_id, from_organization_id=from_organization_id,
                                  months=months, amount=amount, remitted_on=remitted_on,
                                  document_no=document_no)

    @event("RemittanceReceived")
    def _remittance_received(self, remittance_id: UUID, from_organization_id: UUID, months: list[int],
                             amount: Decimal, remitted_on: date, document_no: str) -> None:
        self.received += amount

    # -- allocation to a red fund (党费划拨) ------------------------------------------------

    def allocate(self, fund_id: UUID, allocation_id: UUID, amount: Decimal, allocated_on: date,
                 document_no: str, collected: Decimal, today: date) -> None:
        """Allocate ``amount`` of the year's dues to a red fund (whose ``Allocated`` with
        ``allocation_id`` is appended with this)."""
        self._check_date(allocated_on, today, "allocatedOn")
        self._check_held(amount, collected, "allocating")
        self._allocated_to_red_fund(fund_id=fund_id, allocation_id=allocation_id, amount=amount,
                                    allocated_on=allocated_on, document_no=check_document(document_no))

    @event("AllocatedToRedFund")
    def _allocated_to_red_fund(self, fund_id: UUID, allocation_id: UUID, amount: Decimal, allocated_on: date,
                               document_no: str) -> None:
        self.allocated += amount


class DuesCollections:
    """What an organization's own members paid in dues in a year (``Member.DuesPaid`` at the
    organization, by payment date). This default folds the log: exact, and it reads every
    dues payment, so it suits the in-memory store; ``api.bootstrap`` gives the read model's
    sum (``dues_payments``)."""

    async def collected(self, store: EventStore, organization_id: UUID, year: int) -> Decimal:
        total, after, home = ZERO, 0, str(organization_id)
        while True:
            page = await store.read_log(after, 1000, [DUES_PAID])
            if not page:
                return total
            for e in page:
                if e.payload.get("home_organization_id") == home and str(e.payload["paid_on"]).startswith(
                        f"{year}-"):
                    total += Decimal(str(e.payload["amount"]))
            after = page[-1].position
