"""The domain of Grassroots Ledger: one package per area, and what they share.

``domain/<area>/`` holds the area's aggregate and events (``aggregate.py``), its
commands (``commands.py``), their handlers (``handlers.py``) and its declaration
(``area.py``); ``domain/shared/`` the one command-handling mechanism, permissions,
errors, the events codec, upcasting, privacy, money and the ports. Plain Python on top
of the eventsourcing library's ``Aggregate``: nothing here does I/O or imports the API,
the event store implementation, asyncpg or strawberry (import contracts in
``.importlinter``).
"""
