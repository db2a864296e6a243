"""The event log: asyncpg on PostgreSQL, an in-memory twin for domain unit tests, the
migrations runner, the LISTEN notifier, and tamper evidence (``integrity/``)."""
