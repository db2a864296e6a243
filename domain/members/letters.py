"""Letter serials (介绍信编号): gap-free per issuing organization and year.

An introduction letter's serial is ``<year>-<n>`` (``2026-000001``), where ``n`` counts the
letters the issuing organization (the transfer's sending side) issued that year. The
count is a stream of its own, the issuer's *letter register* for the year
(``LetterRegister``, stream id derived from issuer and year): issuing a letter appends
``LetterRegister.SerialDrawn`` to it in the same atomic append as the member's
``Member.TransferLetterIssued``. So

- a serial is drawn only by a command that succeeds: a refused or failed command
  appends nothing, the register included, and its number is still free;
- serials are gap-free and unique per issuer and year: two letters racing for the same
  number write the register at the same version, and the stream's version check lets
  one commit (the other is retried on fresh state by ``Handling``, as any conflict);
- the register is in the log like everything else: which serial went to which member
  and transfer is a ``LetterRegister.SerialDrawn`` event, which the feed (``GET /events``,
  the ``events`` subscription, webhooks, NATS) shows within the issuer's subtree.

(The PostgreSQL sequence the serials came from before drew numbers outside the append's
transaction: every refused or retried issue used one up.)
"""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

REGISTER_NAMESPACE = UUID("3f0b9c7e-5a41-4d2e-8c6f-1e7a2b9d4c10")


def register_id(issuer_id: UUID, year: int) -> UUID:
    """The stream id of ``issuer_id``'s letter register for ``year``."""
    return uuid.uuid5(REGISTER_NAMESPACE, f"{issuer_id}/{year}")


def letter_serial(year: int, number: int) -> str:
    """The printed serial: ``2026-000001``."""
    return f"{year}-{number:06d}"


class LetterRegister(Aggregate):
    """The serials one organization drew for its introduction letters in one year."""

    class Opened(Aggregate.Created):
        organization_id: UUID
        """The issuing organization (the event's scope: its feed and history readers)."""
        year: int

    @event(Opened)
    def __init__(self, organization_id: UUID, year: int) -> None:
        self.organization_id = organization_id
        self.year = year
        self.drawn = 0

    @classmethod
    def create_id(cls, organization_id: UUID, year: int, **_: object) -> UUID:
        return register_id(organization_id, year)

    def draw(self, member_id: UUID, transfer_id: UUID, issued_on: date) -> str:
        """The next serial, recorded against the letter it numbers."""
        if issued_on.year != self.year:
            raise ValueError(f"a {issued_on.year} letter is not numbered in the {self.year} register")
        serial = letter_serial(self.year, self.drawn + 1)
        self._serial_drawn(number=self.drawn + 1, letter_serial=serial, member_id=member_id,
                           transfer_id=transfer_id)
        return serial

    @event("SerialDrawn")
    def _serial_drawn(self, number: int, letter_serial: str, member_id: UUID, transfer_id: UUID) -> None:
        self.drawn = number
