"""Money: yuan with exactly two decimals (fen), never floating point."""

from __future__ import annotations

import re
from decimal import Decimal

from domain.shared.errors import InvalidInput

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("100000000000.00")
"""Larger than any district's yearly budget; a typo guard, not a policy."""


MONEY_PATTERN = r"^-?\d{1,12}(\.\d{1,2})?$"
"""The one written form of an amount (ASCII digits only): what the Money scalar documents."""
_MONEY = re.compile(MONEY_PATTERN, re.ASCII)


def parse_money(value: object, field: str, *, allow_zero: bool = False) -> Decimal:
    """An exact amount in yuan: a string matching ``MONEY_PATTERN`` (``"1200.50"``), positive.

    Nothing else is an amount: not a JSON number (``5``, ``0.1``: 0.1 + 0.2 is not
    money), not ``"1e3"``, ``"1_000"``, ``" 5"``, ``"+5"``, ``"Infinity"`` nor digits of
    other scripts (``"٥"``, fullwidth ``"５"``), all of which Python's ``Decimal`` would
    take. A ``Decimal`` (from code, never from a client) must be finite with at most two
    decimals.
    """
    if isinstance(value, Decimal):
        amount = value
        if not amount.is_finite():
            raise InvalidInput("an amount must be a finite number", field=field)
    elif isinstance(value, str):
        if not _MONEY.fullmatch(value):
            raise InvalidInput(
                f"{_shown(value)} is not an amount: write ASCII digits with at most two decimals,"
                f" such as \"1200.50\" (at most 12 digits before the point)",
                field=field)
        amount = Decimal(value)
    else:
        raise InvalidInput(
            f"an amount is a decimal string such as \"1200.50\" ({type(value).__name__} given)", field=field)
    if amount > MAX_AMOUNT or amount < -MAX_AMOUNT:
        # Checked before quantize, which fails outright on huge exponents ("1e30").
        raise InvalidInput(f"an amount must not exceed {MAX_AMOUNT}", field=field)
    if amount != amount.quantize(FEN):
        raise InvalidInput("an amount has at most two decimals (fen)", field=field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidInput("an amount must be greater than zero", field=field)
    return amount.quantize(FEN)


def _shown(value: str) -> str:
    return repr(value) if len(value) <= 40 else repr(value[:40] + "…")


def fmt(amount: Decimal) -> str:
    """The canonical text of an amount: always two decimals."""
    return str(amount.quantize(FEN))
