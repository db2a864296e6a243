"""The organizations area's GraphQL part."""
