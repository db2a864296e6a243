"""api/graphql/feed."""
