"""The live feed for subscriptions and GET /events, and the event document they carry."""
