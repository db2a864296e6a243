"""The way in: Starlette app, GraphQL schema, auth and the ``grassroots`` command line."""
