"""projections/feed."""
