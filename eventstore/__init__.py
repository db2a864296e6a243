"""The event store: asyncpg on PostgreSQL, and an in-memory twin for domain unit tests."""
