"""``grassroots keys``: the key-encryption key of personal data (``api.keys``).

- ``new``: print a fresh KEK (a Fernet key) for ``GRASSROOTS_PERSONAL_DATA_KEY``.
- ``rewrap``: after a KEK rotation (the new KEK listed first, the old ones after it),
  re-wrap every member's data key under the new KEK on the configured database; then
  the old KEKs can be removed from the setting.
"""

from __future__ import annotations

import typer

from api.cli.common import err, load_settings, with_database
from api.keys import install_personal_keys
from eventstore.db import connect
from eventstore.personal_keys import PersonalKeys, rewrap

app = typer.Typer(help="The key-encryption key of personal data.", no_args_is_help=True)


@app.command()
def new() -> None:
    """Print a fresh key-encryption key."""
    print(PersonalKeys.new_kek())


@app.command(name="rewrap")
def rewrap_keys() -> None:
    """Re-wrap every personal-data key under the first configured key-encryption key."""
    settings = load_settings()
    keys = install_personal_keys(settings)

    async def run(dsn: str) -> int:
        conn = await connect(dsn)
        try:
            return await rewrap(conn, keys)
        finally:
            await conn.close()

    err.print(f"re-wrapped {with_database(run, settings)} personal-data keys")


if __name__ == "__main__":
    app()
