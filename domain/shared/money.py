"""Money: yuan with exactly two decimals (fen), never floating point."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from domain.shared.errors import InvalidInput

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("100000000000.00")
"""Larger than any district's yearly budget; a typo guard, not a policy."""


def parse_money(value: str | Decimal | int, field: str, *, allow_zero: bool = False) -> Decimal:
    """An exact amount in yuan: a decimal string with at most two decimals, positive.

    Floats are refused outright: 0.1 + 0.2 is not money.
    """
    if isinstance(value, float):
        raise InvalidInput("an amount is a decimal string such as \"1200.50\", not a float", field=field)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise InvalidInput(f"{value!r} is not an amount in yuan", field=field) from exc
    if not amount.is_finite():
        raise InvalidInput("an amount must be a finite number", field=field)
    if amount > MAX_AMOUNT or amount < -MAX_AMOUNT:
        # Checked before quantize, which fails outright on huge exponents ("1e30").
        raise InvalidInput(f"an amount must not exceed {MAX_AMOUNT}", field=field)
    if amount != amount.quantize(FEN):
        raise InvalidInput("an amount has at most two decimals (fen)", field=field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidInput("an amount must be greater than zero", field=field)
    return amount.quantize(FEN)


def fmt(amount: Decimal) -> str:
    """The canonical text of an amount: always two decimals."""
    return str(amount.quantize(FEN))
