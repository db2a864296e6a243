"""api/graphql/webhooks."""
