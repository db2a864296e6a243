"""The webhooks area's GraphQL part."""
