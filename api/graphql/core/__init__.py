"""api/graphql/core."""
