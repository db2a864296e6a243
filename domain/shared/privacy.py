"""Personal data: the one policy that decides who sees it and how it is masked.

Every way an event or a record leaves the program for a reader asks this module and
none masks on its own: the event document (``projections.feed.document``, carried by
``GET /events``, the ``events`` subscription, the NATS relay, webhooks and the CSV
export) and GraphQL's ``history`` and ``Member.idNumber``/``phone``.

- **What is personal**: the payload fields named in ``PERSONAL_FIELDS`` (``id_number``,
  ``phone``, ``declared_income``: the income a member declares for dues, and
  ``complainant_name``: the resident behind a shop complaint, ``resident_name``: the
  resident behind a request) wherever
  they occur: at the top of a payload, in a nested object, in a list of objects, at any
  depth.
- **How it is masked**: nothing but the last four characters ever shows, whatever the
  value's length: an ID number keeps its last four (``**************1234``), a phone
  its last four digits after spaces and dashes are dropped (``*******5678``), a declared
  income and a complainant's or resident's name nothing at all (``****``, whatever its length). A value
  of fewer than eight characters (a phone: digits) is masked whole, so that at least
  as much stays hidden as shows. ``None`` stays ``None``. A personal field that holds
  a list or an object has every value inside it masked the same way; one that holds a
  number or a boolean is masked as its text.
- **Logs**: ``scrub`` masks the same way every ID number and phone in a text that is
  about to be logged: the values a request named (literals and variables of personal
  fields) and anything shaped like one (an 18-character ID number, a run of seven or
  more digits). The GraphQL error log (``api.schema``) passes every message and
  traceback through it.
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

import re
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeVar

from domain.shared.permissions import Actor, Role

PERSONAL_DATA_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_SECRETARY})
"""Roles that see ID numbers and phones unmasked (they write transfer letters)."""

T = TypeVar("T")


SHOWN = 4
"""The most characters a masked value shows: its last four."""
MIN_PARTLY_SHOWN = 2 * SHOWN
"""Shorter values are masked whole: at least as much stays hidden as shows."""


def _keep_last(text: str) -> str:
    if len(text) < MIN_PARTLY_SHOWN:
        return "*" * len(text)
    return "*" * (len(text) - SHOWN) + text[-SHOWN:]


def mask_id_number(value: str | None) -> str | None:
    """``320508199001011234`` -> ``**************1234``; fewer than eight characters: all ``*``."""
    if value is None:
        return None
    return _keep_last(value)


def mask_phone(value: str | None) -> str | None:
    """``138-1234-5678`` -> ``*******5678`` (spaces and dashes dropped); fewer than eight
    digits: all ``*``."""
    if value is None:
        return None
    return _keep_last(value.replace(" ", "").replace("-", ""))


def mask_whole(value: str | None) -> str | None:
    """``8000.00`` -> ``****``: an amount (a declared income) or a name (a complainant's) shows
    nothing, not even its length."""
    if value is None:
        return None
    return "****"


PERSONAL_FIELDS: Final[Mapping[str, Callable[[str | None], str | None]]] = MappingProxyType({
    "id_number": mask_id_number,
    "phone": mask_phone,
    "declared_income": mask_whole,
    "complainant_name": mask_whole,
    "resident_name": mask_whole,
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


# -- logs ---------------------------------------------------------------------------------

_ID_SHAPED = re.compile(r"(?<![\w-])[0-9]{17}[0-9Xx](?![\w-])")
_DIGIT_RUN = re.compile(r"(?<![\w-])\+?[0-9]+(?:[ -][0-9]{3,})*(?![\w-])")
"""Digits, with single spaces or dashes between groups of three or more (phones, ID
numbers without their check letter); ``_masked_run`` masks those of seven digits or
more. UUIDs and dates (``2026-03-01``) do not match."""


def _masked_run(match: re.Match[str]) -> str:
    found = match.group(0)
    if sum(ch.isdigit() for ch in found) < 7:
        return found
    return str(mask_phone(found))


MIN_SCRUBBED = 5
"""Known values shorter than this are not searched for (``scrub``)."""


def scrub(text: str, known: Iterable[tuple[str, str]] = ()) -> str:
    """``text`` with every ID number and phone in it masked as for a reader without the
    right to see them: the ``known`` values (``(field, value)`` pairs of ``PERSONAL_FIELDS``,
    e.g. what a request sent), wherever they occur, and anything shaped like one."""
    for key, value in sorted(set(known), key=lambda kv: -len(kv[1])):
        how = PERSONAL_FIELDS.get(key)
        if how is None or not value.strip():
            continue
        for form in {value, value.strip(), value.replace(" ", "").replace("-", "")}:
            if len(form) >= MIN_SCRUBBED:  # shorter ones would garble the text, revealing little
                text = re.sub(re.escape(form), str(how(form)), text, flags=re.IGNORECASE)
    text = _ID_SHAPED.sub(lambda m: str(mask_id_number(m.group(0))), text)
    return _DIGIT_RUN.sub(_masked_run, text)
