"""The domain of Grassroots Ledger: aggregates, events, rules and command handlers.

Plain Python on top of the eventsourcing library's ``Aggregate``. Nothing here does
I/O or imports the API, the event store implementation, asyncpg or strawberry; the
handlers receive the event store through the ``EventStore`` protocol in ``ports``.
"""
