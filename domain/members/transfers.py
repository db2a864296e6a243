"""Transfers, completed: across the system's edge, and a scope that is checked, not declared.

- **External organizations.** Most out-of-city and cross-province transfers go to an
  organization that is not in our tree. A transfer may name one (``ExternalOrganization``:
  its name, its division or Party-organization code where known, province and city; none
  of it personal data). Out of the system, the steps are the sender's: request, letter,
  and the receipt of acceptance (回执) that the external organization sends back; when it
  is recorded (``Member.TransferredOut``) the member leaves our tree: an exit
  (``domain.members.exits``) that keeps the history and releases the home claim.
- **Scope from the codes.** Where both sides' 12-digit division codes are known (an
  organization in the tree: its own or its nearest coded ancestor's; an external one: the
  code given), the scope follows from them (province: digits 1–2, city: digits 1–4) and a
  declared scope that contradicts them is refused. The letter's validity is then capped by
  that scope's configured days (``TransferRules.validity_days``: 10 / 30 / 90 by default),
  never by the largest configured value.

Pure rules: no I/O.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from domain.shared.errors import InvalidInput
from domain.shared.text import clean


class TransferScope(enum.Enum):
    """How far the member moves; it sets the letter's default validity and its cap."""

    WITHIN_CITY = "WITHIN_CITY"
    OUTSIDE_CITY = "OUTSIDE_CITY"
    ACROSS_PROVINCES = "ACROSS_PROVINCES"


_DIVISION_CODE = re.compile(r"[0-9]{12}", re.ASCII)
MAX_EXTERNAL_NAME, MAX_EXTERNAL_CODE, MAX_PLACE = 120, 40, 20
MAX_VALIDITY_DAYS = 180
"""The longest validity any local rule allows (across provinces)."""


@dataclass(frozen=True)
class ExternalOrganization:
    """A Party organization outside the system, as the letter names it."""

    name: str
    province: str
    city: str
    code: str | None = None
    """Its 12-digit division code or its Party-organization code, where known."""


def check_external(org: ExternalOrganization, field: str = "toExternal") -> ExternalOrganization:
    """Normalised (``clean``) and bounded: a name of 1–120 characters, a province and a city
    of 1–20, and an optional code of at most 40."""
    name, province, city = clean(org.name), clean(org.province), clean(org.city)
    code = clean(org.code or "") or None
    if not 1 <= len(name) <= MAX_EXTERNAL_NAME:
        raise InvalidInput(f"an external organization's name has 1–{MAX_EXTERNAL_NAME} characters",
                           field=f"{field}.name")
    for value, part in ((province, "province"), (city, "city")):
        if not 1 <= len(value) <= MAX_PLACE:
            raise InvalidInput(f"a {part} has 1–{MAX_PLACE} characters", field=f"{field}.{part}")
    if code is not None and len(code) > MAX_EXTERNAL_CODE:
        raise InvalidInput(f"a code has at most {MAX_EXTERNAL_CODE} characters", field=f"{field}.code")
    return ExternalOrganization(name=name, province=province, city=city, code=code)


def division_code(code: str | None) -> str | None:
    """``code`` if it is a 12-digit statistical division code, else None (a free-form code)."""
    return code if code is not None and _DIVISION_CODE.fullmatch(code) else None


def nearest_code(codes_leaf_first: Iterable[str | None]) -> str | None:
    """The first 12-digit division code along a path read from the organization upwards."""
    return next((c for c in map(division_code, codes_leaf_first) if c is not None), None)


def derive_scope(a: str | None, b: str | None) -> TransferScope | None:
    """The scope two division codes imply, or None if either is unknown."""
    if a is None or b is None:
        return None
    if a[:2] != b[:2]:
        return TransferScope.ACROSS_PROVINCES
    if a[:4] != b[:4]:
        return TransferScope.OUTSIDE_CITY
    return TransferScope.WITHIN_CITY


def check_scope(declared: TransferScope, a: str | None, b: str | None) -> TransferScope:
    """The declared scope, unless the two sides' codes say otherwise (then InvalidInput)."""
    derived = derive_scope(a, b)
    if derived is not None and derived is not declared:
        raise InvalidInput(f"the division codes {a} and {b} make this transfer {derived.value},"
                           f" not {declared.value}", field="scope")
    return declared
