"""The live feed's GraphQL part: subscriptions over graphql-transport-ws."""
