"""The code stays lint-clean (ruff) and the domain stays strictly typed (mypy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)


def test_the_code_passes_ruff() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_domain_passes_mypy_strict() -> None:
    result = run("mypy", "domain/")
    assert result.returncode == 0, result.stdout + result.stderr
