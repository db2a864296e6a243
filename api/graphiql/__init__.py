"""GraphiQL, served from this package: it works on a machine without internet.

strawberry's GraphiQL page loads its scripts and stylesheets from a CDN, so on the
district intranets this runs on ``/graphql`` in a browser showed only "Loading...".
This package holds GraphiQL's browser assets instead, vendored from the npm registry
(``vendor/``: react and react-dom 18 as UMD bundles, graphiql and
@graphiql/plugin-explorer; their licences beside them), their versions, tarball
integrity and SHA-384 hashes in ``manifest.json``, and our own small page script and
stylesheet (``static/``). ``tools/refresh_graphiql.py`` is the one command that
refreshes the vendored files (it takes the versions strawberry's own page pins and
checks the files against that page's integrity hashes). strawberry's page also loads
js-cookie for Django's CSRF cookie; our page sends a bearer token, so it needs none.

``api.graphiql.ide`` renders the page, serves the assets and, in development only,
mints short-lived tokens for the page's one-click token button.
"""
