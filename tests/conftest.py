"""Shared fixtures: one PostgreSQL per test session, one fresh database per test.

With ``DATABASE_URL`` the tests use that server (creating and dropping their own
databases on it); otherwise they start a throwaway embedded server from pgserver in a
temporary directory, once per session. Each test gets a database cloned from a
migrated template, so tests never see each other's data or a user's.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from eventstore.db import connect, create_pool
from eventstore.integrity.authenticators import AppendKeys
from eventstore.integrity.authenticators import install as install_append_keys
from eventstore.migrate import migrate
from eventstore.personal_keys import PersonalKeys, install

TEMPLATE = f"grassroots_tpl_{uuid.uuid4().hex[:8]}"

# One personal-data key for the whole session: the stores the tests build themselves
# use the installed keys, servers started in-process or as subprocesses read the same
# key from the environment, so everything in a test reads what any part of it sealed.
os.environ.setdefault("GRASSROOTS_PERSONAL_DATA_KEY", PersonalKeys.new_kek())
install(PersonalKeys([os.environ["GRASSROOTS_PERSONAL_DATA_KEY"]]))
# Likewise one append key: every store and hasher in a test, and every server it starts,
# authenticates and checks appends with it (eventstore.integrity.authenticators).
os.environ.setdefault("GRASSROOTS_APPEND_KEY", AppendKeys.new_key())
install_append_keys(AppendKeys.parse(os.environ["GRASSROOTS_APPEND_KEY"]))


def _with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def admin_dsn() -> Iterator[str]:
    """A DSN with the right to create databases."""
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    import pgserver

    root = Path(tempfile.mkdtemp(prefix="grassroots-test-"))
    server = pgserver.get_server(root / "pgdata", cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def template_db(admin_dsn: str) -> Iterator[str]:
    async def setup() -> None:
        admin = await asyncpg.connect(admin_dsn)
        await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
        await admin.close()
        conn = await connect(_with_database(admin_dsn, TEMPLATE))
        await migrate(conn)
        await conn.close()

    async def teardown() -> None:
        admin = await asyncpg.connect(admin_dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        await admin.close()

    asyncio.run(setup())
    yield TEMPLATE
    asyncio.run(teardown())


@pytest.fixture
async def dsn(admin_dsn: str, template_db: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test alone."""
    name = f"grassroots_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    await admin.close()
    try:
        yield _with_database(admin_dsn, name)
    finally:
        admin = await asyncpg.connect(admin_dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def pool(dsn: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(dsn, min_size=1, max_size=12)
    try:
        yield p
    finally:
        await p.close()
