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
from api.graphql.requests.area import AREA as REQUESTS_API
from api.graphql.shops.area import AREA as SHOPS_API
from api.graphql.webhooks.area import AREA as WEBHOOKS_API
from domain.funds.area import AREA as FUNDS
from domain.grids.area import AREA as GRIDS
from domain.inspections.area import AREA as INSPECTIONS
from domain.members.area import AREA as MEMBERS
from domain.organizations.area import AREA as ORGANIZATIONS
from domain.requests.area import AREA as REQUESTS
from domain.shared.area import DomainArea, register_events
from domain.shops.area import AREA as SHOPS
from domain.webhooks.area import AREA as WEBHOOKS
from projections import (
    appraisals,
    building_group_grids,
    central_households,
    dues,
    dues_accounts,
    event_scopes,
    fund_disclosures,
    fund_movements,
    fund_plans,
    fund_reports,
    funds,
    grids,
    inspections,
    member_residences,
    members,
    mobile_cards,
    organizations,
    party_life_meetings,
    request_facts,
    residence_reports,
    selection_rounds,
    service_orders,
    shop_tenures,
    shops,
    transfers,
    unit_reports,
    volunteer_entries,
)
from projections import departments as request_departments
from projections import requests as request_states
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
    Area("members", MEMBERS, MEMBERS_API, (members.projection, transfers.projection, dues.projection,
                                          party_life_meetings.projection, mobile_cards.projection,
                                          residence_reports.projection, volunteer_entries.projection,
                                          appraisals.projection, unit_reports.projection)),
    Area("funds", FUNDS, FUNDS_API, (funds.projection, fund_movements.projection, fund_disclosures.projection,
                                    fund_plans.projection, fund_reports.projection, dues_accounts.projection)),
    Area("inspections", INSPECTIONS, INSPECTIONS_API, (inspections.projection,)),
    Area("grids", GRIDS, GRIDS_API, (grids.projection, member_residences.projection,
                                     building_group_grids.projection, central_households.projection)),
    Area("shops", SHOPS, SHOPS_API, (shops.projection, shop_tenures.projection, selection_rounds.projection)),
    Area("requests", REQUESTS, REQUESTS_API, (request_departments.projection, request_states.projection,
                                              service_orders.projection, request_facts.projection)),
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
