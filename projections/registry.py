"""Every projection the service runs, by name."""

from __future__ import annotations

from projections import fund_movements, funds, inspections, members, organizations, transfers
from projections.base import Projection

PROJECTIONS: dict[str, Projection] = {
    p.name: p for p in (organizations.projection, members.projection, transfers.projection,
                        funds.projection, fund_movements.projection, inspections.projection)
}
