"""Grids: unit grids of a community, their codes, staff (一长两员) and redrawings."""

from domain.grids import handlers, redrawing
from domain.grids.aggregate import Grid
from domain.shared.area import DomainArea

AREA = DomainArea("grids", aggregates=(Grid,), handlers={**handlers.HANDLERS, **redrawing.HANDLERS},
                  depends_on=("organizations", "members"))
