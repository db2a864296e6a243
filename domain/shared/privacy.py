"""Personal data: the one policy that decides who sees it and how it is masked.

Every way an event or a record leaves the program for a reader asks this module and
none masks on its own: the event document (``projections.feed.document``, carried by
``GET /events``, the ``events`` subscription, the NATS relay, webhooks and the CSV
export) and GraphQL's ``history`` and ``Member.idNumber``/``phone``.

- **What is personal**: the payload fields named in ``PERSONAL_FIELDS`` (``id_number``,
  ``phone``) wherever they occur: at the top of a payload, in a nested object, in a
  list of objects, at any depth.
- **How it is masked**: an ID number keeps its first four and last four characters
  (``3205**********1234``), a phone its first three and last four digits after spaces
  and dashes are dropped (``138****5678``). A value too short to keep those and still
  hide something is masked whole. ``None`` stays ``None``. A personal field that holds
  a list or an object has every value inside it masked the same way; one that holds a
  number or a boolean is masked as its text.
- **Who sees it unmasked**: actors holding a role of
  ``PERSONAL_DATA_ROLES`` (they write transfer letters), and
  ``TRUSTED``: consumers that are system-level by design (the NATS relay, webhooks,
  which only admins register, and the operator's command line). Everyone else gets
  ``redact``'s masked copy.
- **Exempt by design**: tamper evidence (``eventProof``, evidence files) carries the
  stored event exactly, because a masked record would prove nothing; readers with a
  scope get it only for streams inside their scope.

Pure: no I/O, no infrastructure imports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeVar

from domain.shared.permissions import Actor, Role

PERSONAL_DATA_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY})
"""Roles that see ID numbers and phones unmasked (they write transfer letters)."""

T = TypeVar("T")


def mask_id_number(value: str | None) -> str | None:
    """``320508199001011234`` -> ``3205**********1234``; eight characters or fewer: all ``*``."""
    if value is None:
        return None
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """``138-1234-5678`` -> ``138****5678`` (spaces and dashes dropped); seven digits or
    fewer: all ``*``."""
    if value is None:
        return None
    digits = value.replace(" ", "").replace("-", "")
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


PERSONAL_FIELDS: Final[Mapping[str, Callable[[str | None], str | None]]] = MappingProxyType({
    "id_number": mask_id_number,
    "phone": mask_phone,
})
"""Payload field name -> how its value is masked."""


def is_personal(key: object) -> bool:
    """Whether a payload field of this name holds personal data (at any depth)."""
    return key in PERSONAL_FIELDS


def mask(key: str, value: Any) -> Any:
    """``value`` of the personal field ``key``, masked (see the module docstring)."""
    return _mask_all(PERSONAL_FIELDS[key], value)


def _mask_all(how: Callable[[str | None], str | None], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return how(value)
    if isinstance(value, Mapping):
        return {k: _mask_all(how, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_all(how, v) for v in value]
    return how(str(value))


def masked(value: T) -> T:
    """A copy of ``value`` (a payload or any JSON value) with every personal field masked,
    at any depth. Values that are not personal are kept as they are."""
    if isinstance(value, Mapping):
        return {  # type: ignore[return-value]
            k: (_mask_all(PERSONAL_FIELDS[k], v) if k in PERSONAL_FIELDS else masked(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [masked(v) for v in value]  # type: ignore[return-value]
    return value


class Trusted:
    """A system-level reader that receives complete payloads (see ``TRUSTED``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "TRUSTED"


TRUSTED: Final = Trusted()
"""The reader of the NATS relay, of webhooks and of the operator's command line:
complete payloads, personal data included. Never derived from a token."""

Viewer = Actor | Trusted
"""Who an event or record is shown to: an authenticated actor, or ``TRUSTED``."""


def may_see_personal_data(viewer: Viewer) -> bool:
    """Whether ``viewer`` sees ID numbers and phones unmasked."""
    if isinstance(viewer, Trusted):
        return True
    return bool(viewer.roles & PERSONAL_DATA_ROLES)


def redact(payload: T, viewer: Viewer) -> T:
    """``payload`` as ``viewer`` may see it: unchanged (the same object, to be treated as
    read-only) for those who may see personal data, else a copy with every personal
    field masked at any depth (``masked``)."""
    if may_see_personal_data(viewer):
        return payload
    return masked(payload)


def visible(key: str, value: T, viewer: Viewer) -> T:
    """One field's value as ``viewer`` may see it (e.g. ``Member.idNumber``)."""
    if key not in PERSONAL_FIELDS or may_see_personal_data(viewer):
        return value
    return mask(key, value)  # type: ignore[no-any-return]
