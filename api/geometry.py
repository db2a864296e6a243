"""The geometry library behind the grid rules: shapely (GEOS), as ``domain.grids.geometry.Geometry``.

The domain checks a boundary's structure itself and asks this engine what takes a real
geometry library: validity, areas, unions, overlaps and exact point tests. One instance
serves the whole process (it keeps nothing); ``api.bootstrap`` gives it to the command
handling and the grid queries use it for ``containing``.
"""

from __future__ import annotations

from collections.abc import Sequence

from shapely import unary_union
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from domain.grids.geometry import Boundary, Geometry


class ShapelyGeometry:
    """``Geometry`` with shapely."""

    def invalidity(self, boundary: Boundary) -> str | None:
        g = shape(boundary)
        if not g.is_valid:
            return str(explain_validity(g))
        if g.area == 0:
            return "its area is empty"
        return None

    def area(self, boundary: Boundary) -> float:
        return float(shape(boundary).area)

    def outside(self, boundary: Boundary, union_of: Sequence[Boundary]) -> float:
        union: BaseGeometry = unary_union([shape(b) for b in union_of])
        return float(shape(boundary).difference(union).area)

    def overlap(self, a: Boundary, b: Boundary) -> float:
        return float(shape(a).intersection(shape(b)).area)

    def covers(self, boundary: Boundary, lng: float, lat: float) -> bool:
        return bool(shape(boundary).covers(Point(lng, lat)))


SHAPELY: Geometry = ShapelyGeometry()
"""The process's geometry engine."""
