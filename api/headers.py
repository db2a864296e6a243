"""Security headers on every HTTP response (ASGI middleware).

- ``X-Content-Type-Options: nosniff``: a browser takes each response for what its
  ``Content-Type`` says (a JSON error echoing input never runs as a script or page);
- ``Referrer-Policy: no-referrer``: URLs (ids in query strings) do not leak to other sites;
- ``X-Frame-Options: DENY``: no page of ours in a frame (clickjacking);
- ``Cache-Control: no-store`` on ``/graphql``, ``/events`` and ``/export``, whose answers
  may carry personal data: no browser or proxy keeps a copy (it replaces whatever the
  endpoint chose);
- ``Content-Security-Policy`` on HTML: the GraphiQL page sets its own
  (``api.graphiql.ide.CONTENT_SECURITY_POLICY``: this origin only, no inline code); any
  other HTML response without one gets ``HTML_POLICY``, which allows nothing to load or run.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PERSONAL_PATHS = frozenset({"/graphql", "/events", "/export"})
ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
NO_STORE = (b"cache-control", b"no-store")
CSP = b"content-security-policy"
HTML_POLICY = b"default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def secured(headers: list[tuple[bytes, bytes]], personal: bool) -> list[tuple[bytes, bytes]]:
    """``headers`` (a response's, names lowercase as ASGI has them) with ours added."""
    if personal:
        headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
    present = {n.lower() for n, _ in headers}
    extra = [*ALWAYS, NO_STORE] if personal else list(ALWAYS)
    headers = headers + [(n, v) for n, v in extra if n not in present]
    html = any(n.lower() == b"content-type" and v.lower().startswith(b"text/html") for n, v in headers)
    if html and CSP not in present:
        headers.append((CSP, HTML_POLICY))
    return headers


class SecurityHeaders:
    """Adds the headers above to every HTTP response of ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        personal = scope.get("path") in PERSONAL_PATHS

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": secured(list(message.get("headers", [])), personal)}
            await send(message)

        await self.app(scope, receive, with_headers)
