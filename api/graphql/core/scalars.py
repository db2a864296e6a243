"""Scalars shared by areas: Money, exact yuan as a decimal string, and UUID described."""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal
from typing import NewType

import strawberry
from strawberry.schema.types.base_scalars import UUIDDefinition

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


UUID_SCALAR = dataclasses.replace(
    UUIDDefinition,
    description="A UUID in its canonical text form (`0b6e9c8e-5c1a-4b7e-9a53-2f4c1d7e8a90`): event, stream,"
                " correlation and causation ids of the log. Anything else is a validation error.",
)
"""strawberry's own UUID scalar, parsed and printed the same, with the description every type
of the exported schema carries."""
UUID_TYPE = uuid.UUID
