"""GraphiQL's vendored assets (api/graphiql), offline: what tools/refresh_graphiql.py wrote
is complete, unchanged and licensed, goes into the wheel, and the development token is
refused in production and to anyone but a browser on this machine.

(The browser itself, over the real server: tests/e2e/test_graphiql_offline.py.)
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.config import Settings
from api.graphiql.ide import (
    DEV_TOKEN_ROUTE,
    HERE,
    MANIFEST,
    VENDOR,
    DevTokens,
    assets,
    manifest,
    page,
    page_response,
)

ROOT = Path(__file__).resolve().parents[3]
SECRET = "unit-secret-" + "x" * 40


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def _refresh_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refresh_graphiql", ROOT / "tools" / "refresh_graphiql.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_every_vendored_file_is_in_the_manifest_unchanged_with_its_licence() -> None:
    packages = manifest()["packages"]
    assert [p["name"] for p in packages] == ["react", "react-dom", "graphiql", "@graphiql/plugin-explorer"]
    listed = set()
    for package in packages:
        assert package["version"] and package["tarballIntegrity"].startswith("sha512-")
        assert package["license"] == "MIT"
        licences = [package["licenseFile"], *(b["licenseFile"] for b in package.get("bundles", []))]
        for licence in licences:
            assert "Permission is hereby granted" in (VENDOR / licence).read_text(), licence
            listed.add(licence)
        for f in package["files"]:
            data = (VENDOR / f["path"]).read_bytes()
            assert (len(data), _sri(data)) == (f["bytes"], f["integrity"]), f["path"]
            listed.add(f["path"])
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()}
    assert on_disk == listed  # nothing unlisted, nothing missing
    assert any(b["name"] == "graphiql-explorer" for b in packages[-1]["bundles"])  # bundled in its UMD file


def test_the_files_are_the_ones_strawberrys_page_pins_where_it_names_them() -> None:
    _versions, pinned = _refresh_script().strawberry_pins()
    checked = 0
    for package in manifest()["packages"]:
        for f in package["files"]:
            expected = pinned.get((f"{package['name']}@{package['version']}", f["from"]))
            assert f["checkedAgainstStrawberry"] is (expected is not None)
            if expected is not None:
                assert f["integrity"] == expected, f["path"]
                checked += 1
    assert checked == 6  # all six files the page loads from a CDN today (js-cookie we need not)


def test_the_refresh_script_reads_strawberrys_pins() -> None:
    script = _refresh_script()
    versions, _ = script.strawberry_pins()
    assert {"react", "react-dom", "graphiql", "@graphiql/plugin-explorer"} <= set(versions)
    assert script.folder("@graphiql/plugin-explorer", "1.0.2") == "graphiql-plugin-explorer-1.0.2"
    assert [p.name for p in script.PACKAGES] == [p["name"] for p in manifest()["packages"]]
    with pytest.raises(SystemExit):  # a malformed override is refused before anything is fetched
        script.main(["--version", "graphiql"])


def test_the_wheel_takes_every_file_the_page_needs() -> None:
    """pyproject's package-data for api.graphiql covers every non-Python file there."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["api.graphiql"]
    covered = {p for pattern in patterns for p in HERE.glob(pattern) if p.is_file()}
    needed = {p for p in HERE.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")}
    assert needed - covered == set()
    assert MANIFEST in covered and all(a.file in covered for a in assets())


def test_the_page_has_development_controls_in_development_only() -> None:
    assert 'id="dev-token"' in page(True) and "/graphiql/dev-token" in page(True)
    production = page_response(Settings(environment="production", jwt_secret=SECRET))
    assert b"dev-token" not in production.body and b'id="token"' in production.body


def _app(settings: Settings) -> Starlette:
    async def graphiql(_request: Request) -> Response:
        return page_response(settings)

    return Starlette(routes=[Route("/graphql", graphiql),
                             Route(DEV_TOKEN_ROUTE, DevTokens(settings, SECRET).handle, methods=["POST"])])


def _client(settings: Settings, base_url: str, address: str) -> httpx.AsyncClient:
    """The app in this process, called as if from ``address`` (no socket, no network)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(_app(settings), client=(address, 50000)),
                             base_url=base_url)


async def test_no_development_token_in_production() -> None:
    settings = Settings(environment="production", jwt_secret=SECRET)
    async with _client(settings, "http://127.0.0.1:8000", "127.0.0.1") as client:
        response = await client.post(DEV_TOKEN_ROUTE, json={"role": "district_admin"})
    assert response.status_code == 403
    assert "not available in production" in response.json()["error"] and "token" not in response.json()


async def test_no_development_token_for_another_machine() -> None:
    settings = Settings(environment="development", jwt_secret=SECRET)
    for address, base_url, status in (
        ("127.0.0.1", "http://127.0.0.1:8000", 200),
        ("::1", "http://[::1]:8000", 200),
        ("127.0.0.1", "http://localhost:8000", 200),
        ("192.0.2.10", "http://127.0.0.1:8000", 403),  # from another machine
        ("127.0.0.1", "http://intranet.example:8000", 403),  # a name that is not this machine
        ("::1", "http://[::2]:8000", 403),
    ):
        async with _client(settings, base_url, address) as client:
            response = await client.post(DEV_TOKEN_ROUTE, json={"role": "district_admin"})
        assert response.status_code == status, (address, base_url, response.text)
        if status == 403:
            assert "this machine" in response.json()["error"] and "token" not in response.json()
        else:
            assert response.json()["subject"] == "graphiql-district_admin"
