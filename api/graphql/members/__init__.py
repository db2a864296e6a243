"""The members area's GraphQL part."""
