"""api/graphql/integrity."""
