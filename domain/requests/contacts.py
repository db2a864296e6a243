"""The resident behind a request: their name and phone, in a stream of their own.

As with a shop complaint's complainant (``domain.shops.complainants``), the request's
lifecycle is the request's stream; the resident's contact is personal data of a resident,
so it lives in a ``RequestContact`` stream (id derived from the request's), appended with
``Request.Reported`` in one transaction:

- **Sealed per request**: the store seals ``resident_name`` and ``phone`` (both in
  ``domain.shared.privacy.PERSONAL_FIELDS``) under this stream's own keys.
- **Erased per request**: ``RequestContact.PersonalDataErased`` destroys those keys; the name
  and phone then read as null everywhere while the log and every proof stay valid.
- **Scoped like the request**: the creation event names the request's community.

Pure domain: no I/O.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.shared.errors import InvalidInput
from domain.shared.personal import declare_erasure

CONTACT_FIELDS = ("resident_name", "phone")
_NAMESPACE = UUID("7c1f8f8e-5b0e-4c55-9a43-2d7a0f6b1e21")


def contact_id(request_id: UUID) -> UUID:
    """The id of a request's contact stream."""
    return uuid5(_NAMESPACE, str(request_id))


class RequestContact(Aggregate):
    """Who a request is for (a resident): name and phone, erasable."""

    class Recorded(Aggregate.Created):
        organization_id: UUID
        """The request's community: where the feed shows this stream."""
        request_id: UUID
        resident_name: str | None
        phone: str | None

    @event(Recorded)
    def __init__(self, organization_id: UUID, request_id: UUID, resident_name: str | None,
                 phone: str | None) -> None:
        self.organization_id = organization_id
        self.request_id = request_id
        self.resident_name = resident_name
        self.phone = phone
        self.personal_data_erased = False

    @classmethod
    def record(cls, request_id: UUID, organization_id: UUID, resident_name: str | None,
               phone: str | None) -> RequestContact:
        return cls._create(cls.Recorded, id=contact_id(request_id), organization_id=organization_id,
                           request_id=request_id, resident_name=resident_name, phone=phone)

    def erase_personal_data(self) -> None:
        """Erase the resident's name and phone; the event names the fields, never their values."""
        if self.personal_data_erased:
            raise InvalidInput(f"the resident's personal data of request {self.request_id} was already erased",
                               field="requestId")
        self._personal_data_erased(fields=list(CONTACT_FIELDS))

    @event("PersonalDataErased")
    def _personal_data_erased(self, fields: list[str]) -> None:
        self.personal_data_erased = True
        self.resident_name = self.phone = None


declare_erasure("RequestContact.PersonalDataErased")
