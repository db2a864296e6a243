"""Refresh GraphiQL's vendored browser assets (``api/graphiql/vendor/``) from the npm registry.

    python tools/refresh_graphiql.py                          # the versions strawberry's page pins
    python tools/refresh_graphiql.py --version graphiql=3.8.3 # another version of one package

The server serves GraphiQL from these files (``api.graphiql``), so that ``/graphql`` works
in a browser on a machine without internet. This is the one command that changes them;
run it after upgrading strawberry-graphql (whose own GraphiQL page names the versions we
follow) and commit what it writes. It needs ``npm`` and the npm registry, and is run by
hand only: no test runs it (the tests check what it wrote, offline:
``tests/unit/core/test_graphiql_assets.py``).

For each package it runs ``npm pack NAME@VERSION`` (npm checks the tarball against the
registry's ``integrity``; this script checks it again), takes the few files the page
loads and the package's licence out of the tarball (reading those members only, never
extracting the archive), checks every file strawberry's page references against the
Subresource Integrity hash that page states, and writes the files, their licences and
``api/graphiql/manifest.json`` (versions, tarball integrity, each file's SHA-384 and
size, the licences; the page's ``integrity`` attributes come from it). Files of older
versions are removed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "api" / "graphiql"
VENDOR = TARGET / "vendor"
MANIFEST = TARGET / "manifest.json"


@dataclass(frozen=True)
class Package:
    name: str
    files: tuple[str, ...]  # paths inside the tarball's package/ folder, in load order
    licence: str | None = "LICENSE"  # None: the package ships none (see licence_from)
    licence_from: str | None = None  # the package whose LICENSE covers it (same repository)


PACKAGES = (  # in the order the page loads them: each script needs the ones before it
    Package("react", ("umd/react.production.min.js",)),
    Package("react-dom", ("umd/react-dom.production.min.js",)),
    Package("graphiql", ("graphiql.min.js", "graphiql.min.css")),
    # Ships no LICENSE file; it lives in graphiql's repository (graphql/graphiql) under
    # the same MIT licence, so graphiql's LICENSE is kept beside it.
    Package("@graphiql/plugin-explorer", ("dist/index.umd.js", "dist/style.css"),
            licence=None, licence_from="graphiql"),
)
BUNDLED = {"@graphiql/plugin-explorer": ("graphiql-explorer",)}
"""Packages compiled into another's file (its UMD bundle): their licences are kept too."""

_CDN = re.compile(r'(?:src|href)="https://unpkg\.com/(?P<spec>[^"]+)"\s+integrity="(?P<sri>[^"]+)"')


def strawberry_pins() -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """The versions strawberry's GraphiQL page loads, and the SRI hash of each file."""
    html = get_graphql_ide_html(graphql_ide="graphiql")
    versions: dict[str, str] = {}
    integrity: dict[tuple[str, str], str] = {}
    for m in _CDN.finditer(html):
        spec = m["spec"]
        at = spec.index("@", 1)  # a scope's leading @ is not the version's
        slash = spec.index("/", at)
        name, version, path = spec[:at], spec[at + 1:slash], spec[slash + 1:]
        versions[name] = version
        integrity[(f"{name}@{version}", path)] = m["sri"]
    return versions, integrity


def folder(name: str, version: str) -> str:
    """``@graphiql/plugin-explorer``, ``1.0.2`` -> ``graphiql-plugin-explorer-1.0.2``."""
    return f"{name.lstrip('@').replace('/', '-')}-{version}"


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def npm_pack(spec: str, into: Path) -> tuple[Path, dict[str, object]]:
    """``npm pack SPEC`` into ``into``: the tarball and npm's description of it."""
    out = subprocess.run(["npm", "pack", "--json", "--ignore-scripts", "--pack-destination", str(into), spec],
                         check=True, capture_output=True, text=True).stdout
    info = json.loads(out)[0]
    tarball = into / info["filename"]
    algorithm, _, expected = info["integrity"].partition("-")
    if base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode() != expected:
        raise SystemExit(f"{spec}: the tarball does not match the registry's integrity {info['integrity']}")
    return tarball, info


def member(archive: tarfile.TarFile, path: str) -> bytes:
    extracted = archive.extractfile(f"package/{path}")
    if extracted is None:
        raise SystemExit(f"{archive.name}: package/{path} is not a file")
    return extracted.read()


def refresh(overrides: dict[str, str]) -> dict[str, object]:
    versions, pinned = strawberry_pins()
    versions.update(overrides)
    manifest: dict[str, object] = {
        "about": "GraphiQL's browser assets, vendored from the npm registry by tools/refresh_graphiql.py"
                 " (do not edit by hand); packages in the order the page loads them.",
        "packages": [],
    }
    staged: dict[str, bytes] = {}
    packages: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        licences: dict[str, bytes] = {}
        for package in PACKAGES:
            version = versions.get(package.name)
            if version is None:
                raise SystemExit(f"strawberry's page no longer loads {package.name}: give --version"
                                 f" {package.name}=VERSION or update PACKAGES in this script")
            tarball, info = npm_pack(f"{package.name}@{version}", Path(tmp))
            base = folder(package.name, version)
            with tarfile.open(tarball) as archive:
                meta = json.loads(member(archive, "package.json"))
                files = []
                for path in package.files:
                    data = member(archive, path)
                    expected = pinned.get((f"{package.name}@{version}", path))
                    if expected is not None and expected != sri(data):
                        raise SystemExit(f"{package.name}@{version}/{path} differs from the file strawberry's"
                                         f" page pins ({expected})")
                    target = f"{base}/{Path(path).name}"
                    staged[target] = data
                    files.append({"path": target, "from": path, "kind": "style" if path.endswith(".css")
                                  else "script", "integrity": sri(data), "bytes": len(data),
                                  "checkedAgainstStrawberry": expected is not None})
                if package.licence is not None:
                    licences[package.name] = member(archive, package.licence)
                bundled = []
                for dependency in BUNDLED.get(package.name, ()):
                    spec = f"{dependency}@{meta['dependencies'][dependency]}"
                    dep_tarball, dep_info = npm_pack(spec, Path(tmp))
                    with tarfile.open(dep_tarball) as dep_archive:
                        dep_meta = json.loads(member(dep_archive, "package.json"))
                        licence_path = f"{base}/LICENSE.{dependency}"
                        staged[licence_path] = member(dep_archive, "LICENSE")
                    bundled.append({"name": dependency, "version": dep_meta["version"],
                                    "license": dep_meta.get("license"), "licenseFile": licence_path,
                                    "tarballIntegrity": dep_info["integrity"]})
            licence = licences[package.licence_from or package.name]
            staged[f"{base}/LICENSE"] = licence
            entry: dict[str, object] = {
                "name": package.name, "version": version, "license": meta.get("license"),
                "licenseFile": f"{base}/LICENSE", "tarballIntegrity": info["integrity"], "files": files,
            }
            if package.licence_from:
                entry["licenseFrom"] = f"{package.licence_from} (same repository; the package ships no LICENSE)"
            if bundled:
                entry["bundles"] = bundled
            packages.append(entry)
    manifest["packages"] = packages
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for path, data in staged.items():
        (VENDOR / path).parent.mkdir(parents=True, exist_ok=True)
        (VENDOR / path).write_bytes(data)
    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="append", default=[], metavar="NAME=VERSION",
                        help="take this version of a package instead of the one strawberry's page pins")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.version:
        name, sep, version = item.rpartition("=")
        if not sep or not name or not version:
            parser.error(f"--version {item!r}: expected NAME=VERSION")
        overrides[name] = version
    manifest = refresh(overrides)
    for package in manifest["packages"]:  # type: ignore[attr-defined]
        sizes = ", ".join(f"{f['path']} ({f['bytes']:,} bytes)" for f in package["files"])
        print(f"{package['name']}@{package['version']} ({package['license']}): {sizes}")
    print(f"wrote {MANIFEST.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
