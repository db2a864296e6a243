"""Every projection the service runs, by name."""

from __future__ import annotations

from projections import event_scopes, fund_movements, funds, inspections, members, organizations, transfers
from projections import webhooks as webhook_subscriptions
from projections.runtime.base import Projection

PROJECTIONS: dict[str, Projection] = {
    p.name: p for p in (organizations.projection, members.projection, transfers.projection)
}
PROJECTIONS[webhook_subscriptions.projection.name] = webhook_subscriptions.projection
PROJECTIONS[event_scopes.projection.name] = event_scopes.projection
for _funds_side in (funds.projection, fund_movements.projection, inspections.projection):
    PROJECTIONS[_funds_side.name] = _funds_side
