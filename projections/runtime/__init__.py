"""projections/runtime."""
