"""Grids: unit grids of a community, their codes, staff (一长两员), redrawings, the members who live
in them, building groups' grids and member central households."""

from domain.grids import building_groups, central_households, handlers, redrawing, residence
from domain.grids.aggregate import Grid
from domain.grids.building_groups import BuildingGroupGrid
from domain.grids.central_households import CentralHousehold
from domain.grids.residence import Residence
from domain.shared.area import DomainArea

AREA = DomainArea("grids", aggregates=(Grid, Residence, BuildingGroupGrid, CentralHousehold),
                  handlers={**handlers.HANDLERS, **redrawing.HANDLERS, **residence.HANDLERS,
                            **building_groups.HANDLERS, **central_households.HANDLERS},
                  depends_on=("organizations", "members"))
