"""Grids (网格): one network of unit grids per community, their codes, staff and redrawings."""
