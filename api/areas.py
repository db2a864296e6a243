"""The one list of areas: each line is one area, and everything else is built from it.

An area contributes its domain (aggregates, commands and their handlers and
permissions), its GraphQL part (query, mutation and subscription fields, node types,
typed errors, ``node`` lookups) and its read models. The event registry, the command
handling, the permission table, the schema (``api/schema.py``) and the
projection registry are composed from this list; ``tests/unit/core/test_areas.py``
checks that every area registers what it contributes and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.graphql.core.area import ApiArea
from api.graphql.feed.area import AREA as FEED_API
from api.graphql.funds.area import AREA as FUNDS_API
from api.graphql.grids.area import AREA as GRIDS_API
from api.graphql.inspections.area import AREA as INSPECTIONS_API
from api.graphql.integrity.area import AREA as INTEGRITY_API
from api.graphql.members.area import AREA as MEMBERS_API
from api.graphql.organizations.area import AREA as ORGANIZATIONS_API
from api.graphql.shops.area import AREA as SHOPS_API
from api.graphql.webhooks.area import AREA as WEBHOOKS_API
from domain.funds.area import AREA as FUNDS
from domain.grids.area import AREA as GRIDS
from domain.inspections.area import AREA as INSPECTIONS
from domain.members.area import AREA as MEMBERS
from domain.organizations.area import AREA as ORGANIZATIONS
from domain.shared.area import DomainArea, register_events
from domain.shops.area import AREA as SHOPS
from domain.webhooks.area import AREA as WEBHOOKS
from projections import (
    dues,
    event_scopes,
    fund_movements,
    funds,
    grids,
    inspections,
    members,
    organizations,
    selection_rounds,
    shop_tenures,
    shops,
    transfers,
)
from projections import webhooks as webhook_subscriptions
from projections.runtime.base import Projection


@dataclass(frozen=True)
class Area:
    """One area across the layers (a part may be missing: integrity has no aggregate)."""

    name: str
    domain: DomainArea | None
    api: ApiArea | None
    projections: tuple[Projection, ...] = ()


AREAS: tuple[Area, ...] = (
    Area("organizations", ORGANIZATIONS, ORGANIZATIONS_API, (organizations.projection,)),
    Area("members", MEMBERS, MEMBERS_API, (members.projection, transfers.projection, dues.projection)),
    Area("funds", FUNDS, FUNDS_API, (funds.projection, fund_movements.projection)),
    Area("inspections", INSPECTIONS, INSPECTIONS_API, (inspections.projection,)),
    Area("grids", GRIDS, GRIDS_API, (grids.projection,)),
    Area("shops", SHOPS, SHOPS_API, (shops.projection, shop_tenures.projection, selection_rounds.projection)),
    Area("webhooks", WEBHOOKS, WEBHOOKS_API, (webhook_subscriptions.projection,)),
    Area("integrity", None, INTEGRITY_API),
    Area("feed", None, FEED_API, (event_scopes.projection,)),
)

DOMAIN_AREAS: tuple[DomainArea, ...] = tuple(a.domain for a in AREAS if a.domain is not None)
API_AREAS: tuple[ApiArea, ...] = tuple(a.api for a in AREAS if a.api is not None)
PROJECTIONS: dict[str, Projection] = {p.name: p for a in AREAS for p in a.projections}
"""Every projection the service runs, by name (its table)."""

# Every reader of the log (aggregates, projections, the feed, history) must know each
# event type's current shape and its upcasters: registered here, from the list.
register_events(DOMAIN_AREAS)
