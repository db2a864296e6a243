"""The GraphiQL page, its assets and the development token button's endpoint.

- ``page_response(settings)``: our own HTML page for ``GET /graphql`` from a browser. It
  loads only this server's assets (each with its ``integrity``), has a field for the
  bearer token (kept in the tab's ``sessionStorage``, sent as ``Authorization: Bearer``
  over HTTP and in ``connection_init`` over WebSocket) and, in development, a one-click
  token for a chosen role. Its policy is ``CONTENT_SECURITY_POLICY``: everything from
  this origin only, no inline script or style, no frames, plugins or base changes.
- ``Assets``: ``GET /graphiql/assets/<folder>/<file>``. Only the files the manifest
  lists (and our own two) are served, by name, so no request reaches any other file.
  Every folder carries its version (ours the content's hash), so the answers are cached
  for a year as ``immutable``; gzip when the browser accepts it (compressed once, kept).
- ``DevTokens``: ``POST /graphiql/dev-token`` ``{"role": "...", "org": "<id>" | null}``
  answers ``{"token", "expiresAt", "subject", "roles", "org"}``: a token valid for
  ``DEV_TOKEN_TTL`` seconds, minted with the server's secret under the same rules as
  ``grassroots token`` (only a district admin may be whole-system). Refused (403) in
  production, and also in development unless the request comes from this machine
  (a loopback client address) and names this machine (a loopback ``Host``, which
  defeats DNS rebinding) from this page's own origin (``Origin``, ``Sec-Fetch-Site``);
  its body must be JSON (so a cross-site form cannot post it) of at most 4 KB.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import html
import ipaddress
import json
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from api.auth import mint
from api.config import Settings
from domain.shared.permissions import Role

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "vendor"
STATIC = HERE / "static"
MANIFEST = HERE / "manifest.json"
ASSET_ROUTE = "/graphiql/assets"
DEV_TOKEN_ROUTE = "/graphiql/dev-token"
ENDPOINT = "/graphql"
DEV_TOKEN_TTL = 15 * 60
"""Seconds a development token from the page's button lives."""
DEV_TOKEN_MAX_BODY = 4096
IMMUTABLE = "public, max-age=31536000, immutable"

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # GraphiQL's icons
    "font-src 'self' data:",  # GraphiQL's stylesheet embeds its fonts as data: URLs
    "connect-src 'self'",  # /graphql over HTTP and WebSocket, /graphiql/dev-token
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
))
"""The GraphiQL page's Content-Security-Policy: this origin only, no inline code. (GraphiQL's
dialogs try to add an inline ``<style>`` locking the page's scroll; it is refused, which
changes nothing: the page never scrolls.)"""

_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@dataclass
class Asset:
    """One file the page loads: where it is, what it is, its hash."""

    path: str  # under ASSET_ROUTE
    file: Path
    kind: str  # "script" or "style"
    integrity: str
    gzipped: bytes | None = field(default=None, repr=False)  # compressed once, on first asking

    @property
    def url(self) -> str:
        return f"{ASSET_ROUTE}/{self.path}"

    @property
    def media_type(self) -> str:
        return _TYPES[self.file.suffix]


@cache
def manifest() -> dict[str, Any]:
    """``manifest.json``: the vendored packages, in load order."""
    loaded: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return loaded


@cache
def assets() -> tuple[Asset, ...]:
    """Every file the page loads, in load order: the vendored ones, then ours."""
    found = [Asset(f["path"], VENDOR / f["path"], f["kind"], f["integrity"])
             for package in manifest()["packages"] for f in package["files"]]
    for name, kind in (("app.css", "style"), ("app.js", "script")):
        data = (STATIC / name).read_bytes()
        version = hashlib.sha256(data).hexdigest()[:16]
        found.append(Asset(f"grassroots-{version}/{name}", STATIC / name, kind, _sri(data)))
    return tuple(found)


def _options(selected: Role) -> str:
    return "".join(f'<option value="{r.value}"{" selected" if r is selected else ""}>{r.value}</option>'
                   for r in Role)


@cache
def page(development: bool) -> str:
    """The page's HTML (with the development token controls when ``development``)."""
    styles = "".join(f'\n<link rel="stylesheet" href="{a.url}" integrity="{a.integrity}">'
                     for a in assets() if a.kind == "style")
    scripts = "".join(f'\n<script src="{a.url}" integrity="{a.integrity}"></script>'
                      for a in assets() if a.kind == "script")
    dev = ""
    if development:
        dev = (f'\n<fieldset id="dev-token" data-url="{html.escape(DEV_TOKEN_ROUTE)}">'
               "<legend>development only</legend>"
               f'<label>role <select id="dev-role">{_options(Role.DISTRICT_ADMIN)}</select></label>'
               '<label>organization <input id="dev-org" size="38" autocomplete="off" spellcheck="false"'
               ' placeholder="its id (every role but district_admin)"></label>'
               '<button type="button" id="dev-mint">Get a token</button></fieldset>')
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Grassroots Ledger · GraphiQL</title>
<link rel="icon" href="data:,">{styles}
</head>
<body data-endpoint="{html.escape(ENDPOINT)}">
<form id="auth" autocomplete="off">
<label>Bearer token <input id="token" type="password" size="40" autocomplete="off" spellcheck="false"
 placeholder="paste a token (grassroots token --role ...)"></label>
<button type="submit" id="use-token">Use</button>
<button type="button" id="forget-token">Forget</button>
<output id="token-status" aria-live="polite">no token</output>{dev}
</form>
<div id="graphiql">Loading…</div>
<noscript>GraphiQL needs JavaScript.</noscript>{scripts}
</body>
</html>
"""


def page_response(settings: Settings) -> HTMLResponse:
    """``GET /graphql`` from a browser."""
    return HTMLResponse(page(not settings.production), headers={
        "Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"})


class Assets:
    """``GET /graphiql/assets/{path}``: the page's files, and nothing else."""

    def __init__(self) -> None:
        self.by_path = {a.path: a for a in assets()}

    async def handle(self, request: Request) -> Response:
        asset = self.by_path.get(request.path_params["path"])
        if asset is None:
            return JSONResponse({"error": "no such GraphiQL asset"}, status_code=404)
        etag = f'"{asset.integrity}"'
        headers = {"Cache-Control": IMMUTABLE, "ETag": etag, "Vary": "Accept-Encoding",
                   "Cross-Origin-Resource-Policy": "same-origin"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        data = await asyncio.to_thread(asset.file.read_bytes)
        if "gzip" in request.headers.get("accept-encoding", "").lower() and len(data) > 1024:
            if asset.gzipped is None:
                asset.gzipped = await asyncio.to_thread(gzip.compress, data, 6)
            data = asset.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(data, media_type=asset.media_type, headers=headers)


def _loopback(host: str | None) -> bool:
    if not host:
        return False
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _host_name(header: str) -> str:
    """The host of a ``Host`` header, without its port (``[::1]:8000`` -> ``::1``)."""
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rpartition(":")[0] if header.count(":") == 1 else header


class DevTokenRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class DevTokens:
    """``POST /graphiql/dev-token``: a short-lived token for the page's button (development only)."""

    def __init__(self, settings: Settings, secret: str, ttl_seconds: int = DEV_TOKEN_TTL) -> None:
        self.settings, self.secret, self.ttl = settings, secret, ttl_seconds

    async def handle(self, request: Request) -> Response:
        try:
            self._admit(request)
            role, org = self._read(await self._body(request))
            expires = int(time.time()) + self.ttl
            subject = f"graphiql-{role.value}"
            token = mint(self.secret, subject=subject, name=f"GraphiQL ({role.value}, development)",
                         roles=[role], scope=org, ttl_seconds=self.ttl)
        except DevTokenRefused as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        except ValueError as exc:  # mint: only a district admin may be whole-system
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"token": token, "expiresAt": expires, "subject": subject,
                             "roles": [role.value], "org": None if org is None else str(org)},
                            headers={"Cache-Control": "no-store"})

    def _admit(self, request: Request) -> None:
        if self.settings.production:
            raise DevTokenRefused(403, "development tokens are not available in production"
                                       " (GRASSROOTS_ENV=production): mint one with grassroots token")
        client = request.client.host if request.client else None
        host = _host_name(request.headers.get("host", ""))
        if not _loopback(client) or not _loopback(host):
            raise DevTokenRefused(403, "development tokens are only given to a browser on this machine"
                                       " (a loopback address, e.g. http://127.0.0.1:8000/graphql)")
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        fetch_site = request.headers.get("sec-fetch-site")
        if (origin is not None and origin != own) or fetch_site not in (None, "same-origin"):
            raise DevTokenRefused(403, "development tokens are only given to this server's own GraphiQL page")

    @staticmethod
    async def _body(request: Request) -> bytes:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise DevTokenRefused(415, "the body must be application/json")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > DEV_TOKEN_MAX_BODY:
                raise DevTokenRefused(413, f"the body exceeds {DEV_TOKEN_MAX_BODY} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _read(body: bytes) -> tuple[Role, UUID | None]:
        try:
            given = json.loads(body)
        except ValueError:
            raise DevTokenRefused(400, "the body is not valid JSON") from None
        if not isinstance(given, dict) or set(given) - {"role", "org"}:
            raise DevTokenRefused(400, 'expected {"role": "<role>", "org": "<organization id>" | null}')
        try:
            role = Role(given.get("role"))
        except ValueError:
            raise DevTokenRefused(400, "role must be one of " + ", ".join(r.value for r in Role)) from None
        org = given.get("org")
        if org is None or org == "":
            return role, None
        if not isinstance(org, str):
            raise DevTokenRefused(400, "org must be an organization id (a UUID string)")
        try:
            return role, UUID(org.strip())
        except ValueError:
            raise DevTokenRefused(400, "org must be an organization id (a UUID string)") from None
