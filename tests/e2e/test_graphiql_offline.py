"""GraphiQL works on a machine without internet (issue 9, item 21).

The browser test drives Debian's headless Chromium over its DevTools protocol (with the
``websockets`` package) against the real server, with no network but this machine's
loopback: every other host resolves to nothing (``--host-resolver-rules``) and anything
else would go to a proxy on a local port nobody listens on. It opens ``/graphql``, sets
a token in the page's token field, runs the query and sees the answer in the page; then
the same with the development token button. It also checks that the page requested
nothing but this server's own URLs and broke no rule of its Content-Security-Policy.

Without Chromium (``apt-get install -y chromium``; ``.ci/run`` installs it) the browser
test fails in CI (``CI=true``) and is skipped, saying why, elsewhere. The other tests
here need no browser: the page, the assets and their caching, and the token endpoint.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import websockets

from api.graphiql.ide import CONTENT_SECURITY_POLICY, DEV_TOKEN_TTL
from domain.shared.permissions import Role
from tests.e2e.conftest import Server

BROWSER_TIMEOUT = 20.0
HTML = {"accept": "text/html,application/xhtml+xml"}
_LOADS = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"[^>]*>')
_INTEGRITY = re.compile(r'\b(?:src|href)="([^"]+)"[^>]*\bintegrity="([^"]+)"')


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


async def _page(server: Server) -> str:
    response = await server.client.get(f"{server.url}/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


# -- without a browser -----------------------------------------------------------------------


async def test_the_page_loads_only_this_servers_assets_under_its_policy(server: Server) -> None:
    response = await server.client.get(f"{server.url}/graphql", headers=HTML)
    assert CONTENT_SECURITY_POLICY in response.headers.get_list("content-security-policy")
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'"):
        assert directive in CONTENT_SECURITY_POLICY
    page = response.text
    loads = _LOADS.findall(page)
    assert loads, page
    # Nothing from elsewhere: no scheme, no protocol-relative URL; only our asset route
    # (and the empty data: icon, which asks for nothing).
    assert [u for u in loads if not (u.startswith("/graphiql/assets/") or u == "data:,")] == []
    assert "unpkg" not in page and "cdn" not in page.lower()
    assert "<script>" not in page and "<style" not in page  # no inline code: the policy forbids it
    assets = dict(_INTEGRITY.findall(page))
    assert len(assets) == 8, assets  # react, react-dom, graphiql (js, css), explorer (js, css), ours
    for url, integrity in assets.items():
        asset = await server.client.get(f"{server.url}{url}", headers={"accept-encoding": "identity"})
        assert asset.status_code == 200, url
        assert _sri(asset.content) == integrity, url
        kind = "text/css" if url.endswith(".css") else "text/javascript"
        assert asset.headers["content-type"].startswith(kind), url
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["x-content-type-options"] == "nosniff"


async def test_assets_compress_revalidate_and_nothing_else_is_served(server: Server) -> None:
    page = await _page(server)
    url, integrity = next((u, i) for u, i in _INTEGRITY.findall(page) if u.endswith("graphiql.min.js"))
    zipped = await server.client.get(f"{server.url}{url}", headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < 1_500_000  # 3.5 MB as sent uncompressed
    assert _sri(zipped.content) == integrity  # httpx decodes it: the same file
    again = await server.client.get(f"{server.url}{url}", headers={"if-none-match": zipped.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    for path in ("/graphiql/assets/nope.js", "/graphiql/assets/react-18.2.0/LICENSE",
                 "/graphiql/assets/../manifest.json", "/graphiql/assets/%2e%2e/ide.py",
                 "/graphiql/assets/graphiql-3.8.3/..%2f..%2fide.py", "/graphiql/assets/"):
        refused = await server.client.get(f"{server.url}{path}")
        assert refused.status_code == 404, path
        assert b"import" not in refused.content


async def test_development_token_button_mints_a_short_lived_token_the_api_takes(server: Server) -> None:
    org = str(uuid4())
    response = await server.client.post(f"{server.url}/graphiql/dev-token",
                                        json={"role": "community_secretary", "org": org})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["subject"] == "graphiql-community_secretary"
    assert body["roles"] == ["community_secretary"] and body["org"] == org
    assert response.headers["cache-control"] == "no-store"
    claims = json.loads(base64.urlsafe_b64decode(body["token"].split(".")[1] + "=="))
    assert claims["exp"] - claims["iat"] == DEV_TOKEN_TTL <= 3600
    me = await server.ok(body["token"], "{ me { subject roles } }")
    assert me == {"me": {"subject": "graphiql-community_secretary", "roles": ["community_secretary"]}}


@pytest.mark.parametrize(("request_args", "status", "says"), [
    ({"json": {"role": "community_secretary"}}, 400, "only a district_admin"),  # no org: refused
    ({"json": {"role": "root"}}, 400, "role must be one of"),
    ({"json": {"role": "district_admin", "org": "not-a-uuid"}}, 400, "UUID"),
    ({"json": {"role": "district_admin", "org": 7}}, 400, "UUID"),
    ({"json": {"role": "district_admin", "extra": 1}}, 400, "expected"),
    ({"json": ["district_admin"]}, 400, "expected"),
    ({"content": b"{", "headers": {"content-type": "application/json"}}, 400, "not valid JSON"),
    ({"data": {"role": "district_admin"}}, 415, "application/json"),  # a cross-site form's kind
    ({"content": b'{"role": "' + b"x" * 5000 + b'"}', "headers": {"content-type": "application/json"}},
     413, "exceeds"),
    ({"json": {"role": "district_admin"}, "headers": {"host": "rebound.example:8000"}}, 403, "this machine"),
    ({"json": {"role": "district_admin"}, "headers": {"origin": "http://evil.example"}}, 403, "own GraphiQL"),
    ({"json": {"role": "district_admin"}, "headers": {"sec-fetch-site": "cross-site"}}, 403, "own GraphiQL"),
])
async def test_development_token_refusals(server: Server, request_args: dict[str, Any], status: int,
                                          says: str) -> None:
    response = await server.client.post(f"{server.url}/graphiql/dev-token", **request_args)
    assert response.status_code == status, response.text
    assert says in response.json()["error"]
    assert "token" not in response.json()


# -- in a browser ----------------------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = ("Chromium is not installed, so GraphiQL's offline browser test cannot run: install"
               " Debian's package (apt-get install -y chromium), as .ci/run does")
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class DevTools:
    """A minimal client of Chromium's DevTools protocol (flattened sessions)."""

    def __init__(self, ws: Any) -> None:
        self.ws, self.next_id = ws, 0
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            future = self.pending.pop(message.get("id", -1), None)
            if future is None:
                self.events.append(message)
            elif "error" in message:
                future.set_exception(AssertionError(f"DevTools: {message['error']}"))
            else:
                future.set_result(message.get("result", {}))

    async def call(self, method: str, params: dict[str, Any] | None = None,
                   session: str | None = None) -> dict[str, Any]:
        self.next_id += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        await self.ws.send(json.dumps(message))
        return await asyncio.wait_for(future, BROWSER_TIMEOUT)


class Tab:
    def __init__(self, devtools: DevTools, session: str) -> None:
        self.devtools, self.session = devtools, session

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.devtools.call(method, params, self.session)

    async def js(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                      "awaitPromise": True})
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def until(self, expression: str, what: str) -> Any:
        """Poll ``expression`` until it is truthy (counting polls, not timing anything)."""
        for _ in range(int(BROWSER_TIMEOUT / 0.1)):
            value = await self.js(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        shown = await self.js("document.body ? document.body.innerText.slice(0, 500) : ''")
        raise AssertionError(f"the page never showed {what}; it shows: {shown!r}")


@contextlib.asynccontextmanager
async def chromium(tmp_path: Path) -> AsyncIterator[DevTools]:
    binary = _chromium()
    profile = tmp_path / "chromium-profile"
    dead = socket.socket()  # bound, never listening: a proxy port that refuses every connection
    dead.bind(("127.0.0.1", 0))
    log = (tmp_path / "chromium.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--no-first-run", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
        "--disable-extensions", "--disable-default-apps", "--no-default-browser-check",
        "--disable-breakpad", "--disable-features=Translate,OptimizationHints,MediaRouter",
        f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
        f"--proxy-server=http://127.0.0.1:{dead.getsockname()[1]}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank",
        stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(int(BROWSER_TIMEOUT / 0.05)):
            if port_file.exists() and len(port_file.read_text().split()) >= 2:
                break
            if process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("Chromium did not open its DevTools port")
        if process.returncode is not None:
            raise AssertionError(f"Chromium exited: {(tmp_path / 'chromium.log').read_text()[-2000:]}")
        port, path = port_file.read_text().split()[:2]
        async with websockets.connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as ws:
            devtools = DevTools(ws)
            try:
                yield devtools
            finally:
                devtools.reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                    await devtools.reader
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()
        dead.close()


async def _open(devtools: DevTools, url: str) -> Tab:
    target = await devtools.call("Target.createTarget", {"url": "about:blank"})
    attached = await devtools.call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
    tab = Tab(devtools, attached["sessionId"])
    for domain in ("Network", "Page", "Runtime"):
        await tab.call(f"{domain}.enable")
    await tab.call("Page.addScriptToEvaluateOnNewDocument", {"source": (
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));")})
    await tab.call("Page.navigate", {"url": url})
    return tab


RESPONSE = ("(() => { const cm = document.querySelector('.graphiql-response .CodeMirror');"
            " return cm ? cm.CodeMirror.getValue() : ''; })()")


async def _run_query_and_read(tab: Tab, expect: str) -> dict[str, Any]:
    await tab.js("document.querySelector('.graphiql-execute-button').click()")
    text = await tab.until(f"(() => {{ const v = {RESPONSE}; return v.includes({json.dumps(expect)}) && v; }})()",
                           f"an answer naming {expect}")
    answer: dict[str, Any] = json.loads(text)
    return answer


async def test_graphiql_runs_a_query_with_a_token_in_a_browser_without_network(server: Server,
                                                                               tmp_path: Path) -> None:
    token = server.token(Role.DISTRICT_ADMIN, subject="graphiql-tester")
    async with chromium(tmp_path) as devtools:
        tab = await _open(devtools, f"{server.url}/graphql")
        await tab.until("document.querySelector('.graphiql-query-editor .CodeMirror') !== null",
                        "GraphiQL's query editor")
        assert await tab.js("document.getElementById('token-status').textContent") == "no token"

        # Set a token the way a person does: type it into the field and press "Use".
        await tab.js("document.getElementById('token').focus()")
        await tab.call("Input.insertText", {"text": token})
        await tab.js("document.getElementById('use-token').click()")
        await tab.until("document.getElementById('token-status').textContent.includes('graphiql-tester')",
                        "the token's subject")
        await tab.until("document.querySelector('.graphiql-query-editor .CodeMirror') !== null",
                        "GraphiQL again")
        answer = await _run_query_and_read(tab, "graphiql-tester")  # the default query: { me { ... } }
        assert answer["data"]["me"] == {"subject": "graphiql-tester", "name": "Graphiql-Tester",
                                        "roles": ["district_admin"]}
        # The token is in this tab's sessionStorage, never in localStorage (GraphiQL's own store).
        assert await tab.js("Object.values(sessionStorage).includes(" + json.dumps(token) + ")")
        assert not await tab.js("Object.values(localStorage).some(v => v.includes("
                                + json.dumps(token.split(".")[2]) + "))")

        # Development: one click gives a short-lived token for the chosen role.
        await tab.js("document.getElementById('dev-role').value = 'auditor';"
                     f"document.getElementById('dev-org').value = {json.dumps(str(uuid4()))};"
                     "document.getElementById('dev-mint').click()")
        await tab.until("document.getElementById('token-status').textContent.includes('graphiql-auditor')",
                        "the development token's subject")
        await tab.until("document.querySelector('.graphiql-execute-button') !== null", "GraphiQL again")
        answer = await _run_query_and_read(tab, "graphiql-auditor")
        assert answer["data"]["me"]["roles"] == ["auditor"]

        assert await tab.js("window.__violations") == []
        requested = [e["params"]["request"]["url"] for e in devtools.events
                     if e.get("method") == "Network.requestWillBeSent"]
        assert f"{server.url}/graphql" in requested
        assert [u for u in requested if not u.startswith(f"{server.url}/") and not u.startswith("data:")] == []
        failed = [e["params"] for e in devtools.events if e.get("method") == "Network.loadingFailed"]
        assert failed == []
