"""projections/integrations."""
