"""The import contracts (``.importlinter``) hold, fail when broken, and match the areas.

``lint-imports`` checks the layers, the pure domain, the absence of import cycles and that
areas import each other only along the dependencies they declare (``depends_on`` in
``domain/<area>/area.py``). Here: the contracts are kept by the tree; each contract fails
on a copy of the tree with one offending import added; the contracts' lists of areas and
allowed cross-area imports are exactly those of ``api/areas.py``; no function imports a
project module (a local import is how a cycle hides).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from importlinter.api import read_configuration

from api.areas import API_AREAS, DOMAIN_AREAS

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / ".importlinter"
PACKAGES = ("api", "domain", "eventstore", "projections", "migrations")
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"

def lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The linter puts the working directory first on the path: it reads the tree there.
    return subprocess.run([sys.executable, "-c", LINT, "--no-cache", "--no-logo", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "COLUMNS": "200"})


def contracts() -> dict[str, dict[str, object]]:
    return {c["id"]: c for c in read_configuration(str(CONFIG))["contracts_options"]}


def test_the_import_contracts_are_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


@pytest.mark.parametrize(("contract", "module", "offending"), [
    ("layers", "eventstore/db.py", "import api.config"),
    ("layers", "projections/runtime/base.py", "from api import views"),
    ("acyclic", "domain/shared/errors.py", "def late():\n    from domain.shared import money"),
    ("acyclic", "api/graphql/organizations/types.py",
     "def late():\n    from api.graphql.organizations import queries"),
    ("pure-domain", "domain/funds/ledger.py", "import asyncpg"),
    ("pure-domain", "domain/members/aggregate.py", "from strawberry import ID"),
    ("domain-shared", "domain/shared/ports.py", "from domain.funds import aggregate"),
    ("domain-areas", "domain/members/handlers.py", "from domain.funds.aggregate import Fund"),
    ("domain-areas", "domain/organizations/aggregate.py", "import domain.members.aggregate"),
    ("graphql-core", "api/graphql/core/relay.py", "import api.graphql.members.types"),
    ("graphql-areas", "api/graphql/members/types.py", "from api.graphql.funds import types"),
    ("graphql-areas", "api/graphql/organizations/types.py", "import api.graphql.members.types"),
])
def test_an_offending_import_breaks_its_contract(tmp_path: Path, contract: str, module: str,
                                                 offending: str) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(CONFIG, tmp_path / CONFIG.name)
    assert lint_imports(tmp_path, "--contract", contract).returncode == 0
    with (tmp_path / module).open("a", encoding="utf-8") as f:
        f.write(f"\n\n{offending}\n")
    result = lint_imports(tmp_path, "--contract", contract)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "1 broken" in result.stdout, result.stdout


def _edges(declared: dict[str, tuple[str, ...]], prefix: str) -> set[str]:
    return {f"{prefix}.{area}.** -> {prefix}.{on}.**" for area, ons in declared.items() for on in ons}


def _subpackages(path: Path) -> set[str]:
    return {p.parent.name for p in path.glob("*/__init__.py")}


def test_domain_contracts_name_every_area_and_allow_exactly_the_declared_dependencies() -> None:
    found = contracts()
    areas = {a.name for a in DOMAIN_AREAS}
    assert areas == _subpackages(ROOT / "domain") - {"shared"}
    modules = {f"domain.{a}" for a in areas}
    assert set(found["domain-areas"]["modules"]) == modules  # type: ignore[call-overload]
    assert set(found["domain-shared"]["forbidden_modules"]) == modules  # type: ignore[call-overload]
    declared = {a.name: a.depends_on for a in DOMAIN_AREAS}
    assert set(found["domain-areas"]["ignore_imports"]) == _edges(declared, "domain")  # type: ignore[call-overload]


def test_graphql_contracts_name_every_area_and_allow_the_declared_dependencies_and_no_more() -> None:
    found = contracts()
    areas = {a.name for a in API_AREAS}
    assert areas == _subpackages(ROOT / "api" / "graphql") - {"core"}
    modules = {f"api.graphql.{a}" for a in areas}
    assert set(found["graphql-areas"]["modules"]) == modules  # type: ignore[call-overload]
    assert modules <= set(found["graphql-core"]["forbidden_modules"])  # type: ignore[call-overload]
    declared = {a.name: a.depends_on for a in API_AREAS}
    assert set(found["graphql-areas"]["ignore_imports"]) == _edges(declared, "api.graphql")  # type: ignore[call-overload]
    for area in DOMAIN_AREAS:  # the GraphQL part needs at least what its domain needs
        api_area = next(a for a in API_AREAS if a.name == area.name)
        assert set(area.depends_on) <= set(api_area.depends_on), area.name


def _imports(tree: ast.AST) -> list[tuple[int, str, int]]:
    """(line, module, level) of every import inside a function body."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    found += [(inner.lineno, a.name, 0) for a in inner.names]
                elif isinstance(inner, ast.ImportFrom):
                    found.append((inner.lineno, inner.module or "", inner.level))
    return found


def test_no_function_imports_a_project_module() -> None:
    offenders = sorted(
        f"{path.relative_to(ROOT)}:{line}: {'.' * level}{module}"
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        for line, module, level in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if level or module.split(".")[0] in PACKAGES
    )
    assert offenders == [], "import at the top of the module instead:\n" + "\n".join(offenders)


def test_the_domain_imports_only_the_standard_library_and_eventsourcing() -> None:
    allowed = set(sys.stdlib_module_names) | {"__future__", "eventsourcing", "domain"}
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "domain").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import)
            else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
            else [])
        if name.split(".")[0] not in allowed
    )
    assert offenders == []
