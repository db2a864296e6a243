"""Scalars shared by areas: Money, exact yuan as a decimal string."""

from __future__ import annotations

from decimal import Decimal
from typing import NewType

import strawberry

from domain.shared.money import fmt

Money = NewType("Money", str)


MONEY_SCALAR = strawberry.scalar(
    name="Money",
    description='Exact yuan with two decimals, as a string: "120000.00". Never a float.',
    serialize=lambda v: fmt(Decimal(v)),
    # Inputs pass through as given; the domain checks them and answers a typed
    # ValidationError (a float such as 0.1 is refused there, not rounded here).
    parse_value=lambda v: v,
)
