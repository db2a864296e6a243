"""Scalars shared by areas: Money, exact yuan as a decimal string."""

from __future__ import annotations

from decimal import Decimal
from typing import NewType

import strawberry

from domain.shared.money import MONEY_PATTERN, fmt

Money = NewType("Money", str)


MONEY_SCALAR = strawberry.scalar(
    name="Money",
    description=f'Exact yuan as a string matching {MONEY_PATTERN} (ASCII digits, at most two decimals),'
                ' e.g. "120000.00"; answers always have two decimals. Anything else (a JSON number'
                ' such as 5 or 0.1, "1e3", "1_000", " 5", digits of other scripts) is a ValidationError.',
    serialize=lambda v: fmt(Decimal(v)),
    # Inputs pass through as given; the domain checks them and answers a typed
    # ValidationError (a float such as 0.1 is refused there, not rounded here).
    parse_value=lambda v: v,
)
