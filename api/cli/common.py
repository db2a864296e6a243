"""What every part of the ``grassroots`` command shares: the error console, the settings,
migrating, and running against the configured database.

The parts (``main.py``, ``funds.py``, ``integrity.py``) import from here, never from each
other's command modules, so ``main.py`` can import them to register their commands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import typer
from rich.console import Console

from api.config import ConfigError, Settings
from api.database import database
from api.keys import install_personal_keys
from eventstore.db import connect
from eventstore.migrate import migrate

T = TypeVar("T")

err = Console(stderr=True)
"""Messages, progress and errors go to standard error; results to standard output."""


def load_settings() -> Settings:
    """The settings from the environment; a bad value exits with code 2, naming it.

    Installs the personal-data keys they configure (``api.keys``), which every command that
    reads or writes the log needs to open or seal personal data."""
    try:
        settings = Settings.from_env()
        install_personal_keys(settings)
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc
    return settings


async def apply_migrations(dsn: str) -> list[str]:
    """Apply the pending SQL migrations; the names of those applied."""
    conn = await connect(dsn)
    try:
        return await migrate(conn)
    finally:
        await conn.close()


def with_database(run: Callable[[str], Coroutine[Any, Any, T]], settings: Settings | None = None) -> T:
    """Migrate the configured database (embedded if none), then run ``run(dsn)`` on it."""
    with database(settings or load_settings()) as dsn:
        asyncio.run(apply_migrations(dsn))
        return asyncio.run(run(dsn))
