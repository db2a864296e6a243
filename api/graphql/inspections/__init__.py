"""The inspections area's GraphQL part."""
