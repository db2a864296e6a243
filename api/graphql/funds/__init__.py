"""The funds area's GraphQL part."""
