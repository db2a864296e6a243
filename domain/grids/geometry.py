"""Grid boundaries: GeoJSON Polygons and MultiPolygons in WGS-84, and the rules about them.

Geometry is a maintained library's job, not ours: whether a polygon is valid, how much of
one lies outside another, where two overlap. The domain states what it needs of one
(``Geometry``) and is given it (``api.geometry``: shapely, GEOS underneath), as the funds
area is given its traditional-to-simplified converter; so the domain stays the standard
library and eventsourcing. What is plain structure is checked here:

- **A boundary** is a GeoJSON object of type ``Polygon`` or ``MultiPolygon`` (a
  ``Feature`` holding one is unwrapped), coordinates ``[longitude, latitude]`` in WGS-84
  (RFC 7946 order), every ring closed (first position equal to the last) with at least
  four positions, all of it inside China's bounding box (``CHINA``), and (the library's
  verdict) a valid geometry of some area: no self-intersection, holes inside their shell.
  ``check_boundary`` returns it in one normal form (plain lists of floats), the form
  events store.
- **Its bounding box** (``bounding_box``): what the read model's SQL prefilter of a point
  lookup holds; the exact test is the library's (``Geometry.covers``).
- **A redrawing** (``check_redrawn``): the new grids lie inside the old grids' union and do
  not overlap each other, each up to ``tolerance`` of the new grid's area (hand-drawn
  boundaries never meet exactly).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from domain.grids.errors import BoundariesNotConserved, InvalidBoundary

CHINA = (73.0, 3.0, 136.0, 54.0)
"""(west, south, east, north) in degrees: the bounding box of China's territory, islands included."""
MAX_POSITIONS = 20_000
"""The most positions one boundary may have (a community's grid needs a few hundred at most)."""
MAX_TEXT = 1_000_000
KINDS = ("Polygon", "MultiPolygon")
Boundary = dict[str, Any]


class Geometry(Protocol):
    """What the grid rules need of a geometry library (areas in square degrees: only ratios matter)."""

    def invalidity(self, boundary: Boundary) -> str | None:
        """Why the boundary is not a valid geometry of some area, or None if it is one."""
        ...

    def area(self, boundary: Boundary) -> float: ...

    def outside(self, boundary: Boundary, union_of: Sequence[Boundary]) -> float:
        """The area of ``boundary`` that lies outside the union of ``union_of``."""
        ...

    def overlap(self, a: Boundary, b: Boundary) -> float:
        """The area ``a`` and ``b`` share."""
        ...

    def covers(self, boundary: Boundary, lng: float, lat: float) -> bool:
        """Whether the point lies inside the boundary or on its edge."""
        ...


def _fail(message: str, field: str) -> InvalidBoundary:
    return InvalidBoundary(f"boundary: {message}", field=field)


def _position(value: Any, field: str) -> list[float]:
    if (not isinstance(value, list) or len(value) not in (2, 3)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                       for v in value)):
        raise _fail(f"a position is [longitude, latitude] in finite numbers, not {str(value)[:60]}", field)
    lng, lat = float(value[0]), float(value[1])
    west, south, east, north = CHINA
    if not (west <= lng <= east and south <= lat <= north):
        raise _fail(f"[{lng}, {lat}] lies outside China ({west}–{east}°E, {south}–{north}°N);"
                    " coordinates are [longitude, latitude] in WGS-84", field)
    return [lng, lat]


def _ring(value: Any, field: str) -> list[list[float]]:
    if not isinstance(value, list) or len(value) < 4:
        raise _fail("a ring has at least four positions (the first repeated as the last)", field)
    ring = [_position(p, field) for p in value]
    if ring[0] != ring[-1]:
        raise _fail("every ring is closed: its last position equals its first", field)
    return ring


def _polygon(value: Any, field: str) -> list[list[list[float]]]:
    if not isinstance(value, list) or not value:
        raise _fail("a polygon is a list of rings (the shell, then any holes)", field)
    return [_ring(r, field) for r in value]


def check_boundary(text: str | None, geometry: Geometry, field: str = "boundary") -> Boundary | None:
    """The boundary in normal form, or ``InvalidBoundary`` saying what is wrong with it."""
    if text is None:
        return None
    if len(text) > MAX_TEXT:
        raise _fail(f"at most {MAX_TEXT} characters of GeoJSON", field)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _fail(f"not JSON ({exc})", field) from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in KINDS:
        raise _fail("a GeoJSON Polygon or MultiPolygon (or a Feature holding one)", field)
    coordinates = data.get("coordinates")
    if data["type"] == "Polygon":
        normal: Boundary = {"type": "Polygon", "coordinates": _polygon(coordinates, field)}
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise _fail("a MultiPolygon is a list of polygons", field)
        normal = {"type": "MultiPolygon", "coordinates": [_polygon(p, field) for p in coordinates]}
    if json.dumps(normal).count("[") > 2 * MAX_POSITIONS:
        raise _fail(f"at most {MAX_POSITIONS} positions", field)
    why = geometry.invalidity(normal)
    if why is not None:
        raise _fail(f"not a valid geometry: {why}", field)
    return normal


def _positions(boundary: Boundary) -> Iterator[list[float]]:
    polygons = boundary["coordinates"] if boundary["type"] == "MultiPolygon" else [boundary["coordinates"]]
    for polygon in polygons:
        for ring in polygon:
            yield from ring


def bounding_box(boundary: Boundary) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a boundary in normal form."""
    lngs, lats = zip(*((p[0], p[1]) for p in _positions(boundary)), strict=True)
    return min(lngs), min(lats), max(lngs), max(lats)


def check_redrawn(old: Sequence[Boundary], new: Sequence[tuple[str, Boundary]], tolerance: float,
                  geometry: Geometry) -> None:
    """The new boundaries (named by their grids' codes) lie inside the old ones' union and do not
    overlap each other, each up to ``tolerance`` (a share of the new grid's area)."""
    areas = [geometry.area(b) for _, b in new]
    for (code, b), area in zip(new, areas, strict=True):
        outside = geometry.outside(b, old)
        if outside > tolerance * area:
            raise BoundariesNotConserved(
                f"grid {code}: {outside / area:.1%} of its boundary lies outside the old grids'"
                f" (tolerance {tolerance:.1%})", field="boundary")
    for i, (code, b) in enumerate(new):
        for j in range(i + 1, len(new)):
            other_code, other = new[j]
            smaller = min(areas[i], areas[j])
            overlap = geometry.overlap(b, other)
            if overlap > tolerance * smaller:
                raise BoundariesNotConserved(
                    f"grids {code} and {other_code} overlap by {overlap / smaller:.1%} of the smaller"
                    f" (tolerance {tolerance:.1%})", field="boundary")
