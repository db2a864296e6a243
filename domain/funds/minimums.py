"""The yearly minimum of a community's service fund: a fiscal guarantee, set by tier.

The minimum (不少于12万元 from the district budget) guarantees *budget* money: unit
sponsorship, dues allocations and donations may fill a fund's balance but do not count
toward it, nor does last year's carry-over. Which sources count is local policy, as is
the amount: one city gives central-city communities 200,000 and the others 120,000,
another sets at least 3,000 per grid branch. So an organization's minimum is its tier's
amount (the tier assigned to its id or division code, else the default) plus an amount
per active grid branch under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from domain.funds.aggregate import AllocationSource
from domain.shared.money import ZERO

DEFAULT_TIER = "default"
"""The tier of an organization no assignment names."""

FISCAL_SOURCES = frozenset({AllocationSource.FISCAL_BUDGET, AllocationSource.FISCAL_SUBSIDY})
"""What counts toward the minimum unless configured otherwise: the fiscal money."""


@dataclass(frozen=True)
class Minimum:
    """What one organization must receive in a year, and why."""

    tier: str
    amount: Decimal


@dataclass(frozen=True)
class MinimumRules:
    """Local minimum policy (configuration: ``GRASSROOTS_FUND_MINIMUM*``)."""

    default: Decimal = Decimal("120000.00")
    """The default tier's amount."""
    tiers: Mapping[str, Decimal] = field(default_factory=dict)
    """Named tiers and their amounts (``central`` → 200000.00)."""
    assigned: Mapping[str, str] = field(default_factory=dict)
    """Organization id (as text) or 12-digit division code → tier name."""
    per_grid_branch: Decimal = ZERO
    """Added for each active grid Party branch under the organization."""
    counted: frozenset[AllocationSource] = FISCAL_SOURCES
    """The allocation sources that count toward the minimum."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.assigned.values()) - set(self.tiers) - {DEFAULT_TIER})
        if unknown:
            raise ValueError(f"organizations are assigned to undefined tier(s) {', '.join(unknown)}")
        if AllocationSource.CARRIED_OVER in self.counted:
            raise ValueError("carry-over is last year's money and never counts toward a year's minimum")

    def tier_of(self, organization_id: UUID, code: str | None) -> str:
        """The organization's tier: by id first, then by division code, else the default."""
        return self.assigned.get(str(organization_id)) or (
            self.assigned.get(code) if code else None) or DEFAULT_TIER

    def minimum_for(self, organization_id: UUID, code: str | None, grid_branches: int = 0) -> Minimum:
        tier = self.tier_of(organization_id, code)
        return Minimum(tier, self.tiers.get(tier, self.default) + self.per_grid_branch * grid_branches)

    def counts(self, source: AllocationSource | str) -> bool:
        """Whether money from ``source`` counts toward the minimum."""
        return AllocationSource(source) in self.counted
