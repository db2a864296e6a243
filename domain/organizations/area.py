"""The organization tree: district, streets, communities, branches, building groups."""

from domain.organizations.aggregate import Organization
from domain.organizations.handlers import HANDLERS
from domain.shared.area import DomainArea

AREA = DomainArea("organizations", aggregates=(Organization,), handlers=HANDLERS)
