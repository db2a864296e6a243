"""The organization tree: district, streets, communities, branches, building groups."""
