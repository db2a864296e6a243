"""The grids area's GraphQL part: grids, their staff, the map, and every grid command."""
