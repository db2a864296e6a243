"""Secrets a development server generates for itself, once, into its data directory.

The token secret, the checkpoint signing key and the personal-data key each come from
the configuration in production; in development each is made on first use and kept in
the data directory (mode 0600). Two processes starting at once must agree on the one
that wins: the file is created with ``os.link`` from a private temporary file, which
fails if the name exists, so the loser reads the winner's secret instead of replacing it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path


def generated_once(path: Path, make: Callable[[], str]) -> str:
    """The text in ``path``; if there is none yet, ``make()``'s, written there first."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(make())
        tmp.chmod(0o600)
        try:
            with contextlib.suppress(FileExistsError):  # another process made it first
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text()
