"""Transfers into the system: an incoming letter from an organization outside the tree.

The receiving side (an organization in our tree) registers the letter the member brings
(``registerIncomingTransfer``): the sender's organization (``ExternalOrganization``: name,
code where known, province, city), the letter's serial and validity as the sender wrote
them, and the member's details from the letter, checked as ``registerMember`` checks them
(ID number with its check digit, sealed personal data, one record per ID number: a member
already in the system is ``AlreadyExists``). It appends ``Member.Registered`` and
``Member.IncomingTransferRegistered`` to a new member stream in one append.

Decisions (README, "Transfers into the system"):

- The member's home is the receiving organization from the letter's registration on: a
  member belongs to exactly one organization in the tree at every moment, and the
  receiver holds the letter. The transfer is open (``LETTER_ISSUED``) until the receiver
  accepts it (``acceptMemberTransfer``, the same step as for a letter from inside the tree,
  with the same justification for an expired letter) or returns it (``returnMemberTransfer``,
  退回): a returned letter takes the member out of the tree again
  (``Member.IncomingTransferReturned``, an exit like ``TRANSFERRED_OUT``) and releases the
  ID number, so that a corrected letter can be registered afresh.
- Every step of an incoming transfer is the receiver's (there is no sending side in the
  tree), as every step of a transfer out of the system is the sender's. Withdrawing and
  re-issuing are the external sender's business: refused here.
- The scope follows from the codes as for outgoing transfers (the receiver's nearest
  division code and the sender's code where it is one).

Pure rules: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain.members.transfers import MAX_VALIDITY_DAYS
from domain.shared.errors import InvalidInput
from domain.shared.text import clean

MAX_INCOMING_SERIAL = 40


@dataclass(frozen=True)
class IncomingLetter:
    """The letter of an external sender, as the receiver reads it."""

    serial: str
    issued_on: date
    valid_until: date


def check_incoming_letter(serial: str, issued_on: date, valid_until: date, today: date) -> IncomingLetter:
    """A serial of 1–40 characters; issued not ahead of today; valid for 1–180 days (the
    longest validity any local rule allows: the sender's rules, not ours, set it)."""
    cleaned = clean(serial)
    if not 1 <= len(cleaned) <= MAX_INCOMING_SERIAL:
        raise InvalidInput(f"a letter serial has 1–{MAX_INCOMING_SERIAL} characters", field="letterSerial")
    if issued_on > today:
        raise InvalidInput("the letter's issue date lies in the future", field="issuedOn")
    if not issued_on < valid_until <= issued_on + timedelta(days=MAX_VALIDITY_DAYS):
        raise InvalidInput(f"a letter is valid for 1–{MAX_VALIDITY_DAYS} days after its issue",
                           field="validUntil")
    return IncomingLetter(cleaned, issued_on, valid_until)
