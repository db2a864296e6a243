"""domain/ imports only the standard library and the eventsourcing library."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {"api", "projections", "eventstore", "asyncpg", "strawberry", "starlette", "uvicorn"}


def test_domain_imports_no_infrastructure() -> None:
    offenders = []
    for path in (Path(__file__).resolve().parents[3] / "domain").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
