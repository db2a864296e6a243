"""The shop's business licence: its unified social credit code (统一社会信用代码) and the
eligibility attestations an application carries.

The code's check digit follows GB 32100-2015 (published with the standard): 18 characters
of an alphabet of 31 (digits and capitals without I, O, Z, S, V), the 18th the check
character of the first 17 under the weights 3^i mod 31. ``python-stdnum`` (``stdnum.cn.uscc``)
implements the same, but the domain imports only the standard library and eventsourcing
(``tests/unit/core/test_import_contracts.py``), and wrapping a twelve-line checksum in a
port would cost more than it saves; ``tests/unit/shops/test_credit_code.py`` proves this
one equal to stdnum's on every code it generates.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from domain.shared.errors import InvalidInput
from domain.shared.text import clean

MAX_DOCUMENT = 60
_DOCUMENT = re.compile(r"[^\x00-\x1f]{1,60}")
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""GB 32100-2015's 31 characters: no I, O, Z, S, V."""
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}", re.ASCII)


def credit_check_character(first17: str) -> str:
    """The check character of a code's first 17 characters (GB 32100-2015, 31 − Σ mod 31)."""
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def check_credit_code(value: str) -> str:
    """An 18-character unified social credit code with a valid check character, upper-cased
    (fullwidth characters normalised first, so that one code has one spelling)."""
    code = clean(value).upper().replace(" ", "").replace("-", "")
    if not _SHAPE.fullmatch(code):
        raise InvalidInput("a unified social credit code has 18 characters: two of the code alphabet (digits and"
                           " capitals without I, O, Z, S, V), a 6-digit division code, ten more", field="creditCode")
    if credit_check_character(code[:17]) != code[17]:
        raise InvalidInput("the unified social credit code's check character is wrong (GB 32100-2015)",
                           field="creditCode")
    return code


class Attested(enum.Enum):
    """What an application attests, each with the document that shows it (eligibility)."""

    NO_CRIMINAL_PENALTY = "NO_CRIMINAL_PENALTY"
    """No criminal penalty of the operator (无犯罪记录证明)."""
    NO_ADMINISTRATIVE_PENALTY = "NO_ADMINISTRATIVE_PENALTY"
    """No administrative penalty of the business (无行政处罚)."""
    NO_SERIOUS_CREDIT_RECORD = "NO_SERIOUS_CREDIT_RECORD"
    """No serious dishonesty record in the credit system (无严重失信记录)."""


@dataclass(frozen=True)
class Attestation:
    """One eligibility condition as the applicant declares it, with its source document."""

    condition: Attested
    holds: bool
    """True: the condition is met (no penalty found); False: the document shows a penalty."""
    source_document: str
    """The number of the document it rests on (a certificate, a credit report)."""


def check_attestations(attestations: tuple[Attestation, ...]) -> list[Attestation]:
    """Every condition attested exactly once, each with a source document number."""
    if len(attestations) > len(Attested):
        raise InvalidInput(f"attest each of the {len(Attested)} conditions once", field="attestations")
    seen = [a.condition for a in attestations]
    if len(set(seen)) != len(seen):
        raise InvalidInput("each condition is attested once", field="attestations")
    missing = [c.value for c in Attested if c not in seen]
    if missing:
        raise InvalidInput(f"attest every condition: {', '.join(missing)} missing", field="attestations")
    checked = []
    for a in attestations:
        document = clean(a.source_document)
        if not _DOCUMENT.fullmatch(document):
            raise InvalidInput(f"a source document number has 1–{MAX_DOCUMENT} characters",
                               field="attestations")
        checked.append(Attestation(a.condition, a.holds, document))
    return sorted(checked, key=lambda a: a.condition.value)
