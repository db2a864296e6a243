"""The demonstration shops area's GraphQL part."""
