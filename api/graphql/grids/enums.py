"""The domain's enums of grids as GraphQL enums, declared once (inputs and types both use them)."""

import strawberry

from domain.grids.aggregate import Employment, StaffRole

strawberry.enum(StaffRole, description="The posts of 一长两员: grid leader 网格长, grid worker 网格员,"
                                       " Party-building instructor 党建指导员.")
strawberry.enum(Employment, description="Whether a grid worker serves full time (专职) or part time (兼职).")

__all__ = ["Employment", "StaffRole"]
