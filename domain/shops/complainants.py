"""The resident behind a shop complaint: their name and phone, in a stream of their own.

A complaint's lifecycle (recorded, investigated, concluded) is the shop's
(``Shop.ComplaintRecorded`` and after); the complainant's personal data is not: it is a
resident's, not the shop's or its member's, and a resident may have it erased without
touching anything else. So it lives in a ``ShopComplainant`` stream whose id is the
complaint's id, appended with ``Shop.ComplaintRecorded`` in one transaction:

- **Sealed per complaint**: the event store seals personal values under the keys of the
  stream that carries them (``eventstore.personal_keys``), so the name and the phone are
  ciphertext under this complaint's own keys, never under the shop's or a member's.
- **Erased per complaint**: ``ShopComplainant.PersonalDataErased`` is an erasure event
  (``declare_erasure``): appending it destroys this complaint's keys, so its name and
  phone read as null everywhere (history, feed, NATS, webhooks, read models) while the
  log and every proof stay valid. Other complaints, the shop and its member keep theirs.
- **Scoped like the shop**: the creation event names the shop's organization
  (``organization_id``), so the feed shows it where the shop is shown.

Pure domain: no I/O.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import InvalidInput
from domain.shared.personal import declare_erasure

COMPLAINANT_FIELDS = ("complainant_name", "phone")
"""The personal fields a complainant's stream holds (``domain.shared.privacy.PERSONAL_FIELDS``)."""


class ShopComplainant(Aggregate):
    """Who made one complaint about a shop (a resident): name and phone, erasable."""

    class Recorded(Aggregate.Created):
        organization_id: UUID
        """The shop's organization: where the feed shows this stream."""
        shop_id: UUID
        complainant_name: str | None
        phone: str | None

    @event(Recorded)
    def __init__(self, organization_id: UUID, shop_id: UUID, complainant_name: str | None,
                 phone: str | None) -> None:
        self.organization_id = organization_id
        self.shop_id = shop_id
        self.complainant_name = complainant_name
        self.phone = phone
        self.personal_data_erased = False

    @classmethod
    def record(cls, complaint_id: UUID, organization_id: UUID, shop_id: UUID, complainant_name: str | None,
               phone: str | None) -> ShopComplainant:
        """The complainant of ``complaint_id`` (its stream id is the complaint's)."""
        return cls._create(cls.Recorded, id=complaint_id, organization_id=organization_id, shop_id=shop_id,
                           complainant_name=complainant_name, phone=phone)

    def erase_personal_data(self) -> None:
        """Erase the complainant's name and phone on a lawful request; the event names the
        fields, never their values, and appending it shreds this complaint's keys."""
        if self.personal_data_erased:
            raise InvalidInput(f"the complainant's personal data of complaint {self.id} was already erased",
                               field="complaintId")
        self._personal_data_erased(fields=list(COMPLAINANT_FIELDS))

    @event("PersonalDataErased")
    def _personal_data_erased(self, fields: list[str]) -> None:
        self.personal_data_erased = True
        self.complainant_name = self.phone = None


declare_erasure("ShopComplainant.PersonalDataErased")
