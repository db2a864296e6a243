"""The one list of areas: each line is one area, and everything else is built from it.

An area contributes its domain (aggregates, commands, handlers), its GraphQL part
(roots, types, errors, costs, loaders, node lookups) and its read models. The event
registry, the command handling, the permission table, the schema and the projection
registry are composed from this list; ``tests/unit/core/test_areas.py`` checks that
every area registers what it contributes and nothing else.
"""

from __future__ import annotations

from domain.funds.area import AREA as FUNDS
from domain.inspections.area import AREA as INSPECTIONS
from domain.members.area import AREA as MEMBERS
from domain.organizations.area import AREA as ORGANIZATIONS
from domain.shared.area import DomainArea
from domain.webhooks.area import AREA as WEBHOOKS

DOMAIN_AREAS: tuple[DomainArea, ...] = (ORGANIZATIONS, MEMBERS, FUNDS, INSPECTIONS, WEBHOOKS)
