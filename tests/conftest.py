"""Shared fixtures: one PostgreSQL per test session, one fresh database per test.

With ``DATABASE_URL`` the tests use that server (creating and dropping their own
databases on it); otherwise they start a throwaway embedded server from pgserver in a
temporary directory, once per session. Each test gets a database cloned from a
migrated template, so tests never see each other's data or a user's. Under pytest-xdist
each worker is a session of its own, with its own server.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """How many workers ``-n auto`` (pyproject's addopts) starts: two for a run that names a
    folder (the whole suite names ``tests``), none for a run of named files or tests, which
    stays in this process and so pays for no second PostgreSQL and collection.

    Two, not one per core: the suite's budget and its timing tests are set on two cores.
    Each worker is a session of its own: its own embedded PostgreSQL in its own temporary
    directory (``admin_dsn``), its own template, free ports only; ``--dist loadfile`` keeps a
    module's tests together in one worker.
    """
    folders = [arg for arg in config.args if Path(arg.split("::", 1)[0]).is_dir()]
    return 2 if folders and (os.cpu_count() or 1) >= 2 else 0


def _with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _throwaway_settings(dsn: str) -> None:
    """No flushes to disk on the throwaway server: nothing on it has to survive a crash of
    the machine. Every test database is created and dropped through the checkpoint and file
    syncs that ``CREATE``/``DROP DATABASE`` do, and every commit waits for its WAL flush;
    with ``fsync`` off those are writes to the page cache. Committed data still survives
    PostgreSQL's own crash and restart (the page cache is the kernel's), and what each
    statement sees is unchanged. Only for the server the tests start themselves, never for
    a given ``DATABASE_URL``."""
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute("ALTER SYSTEM SET fsync = off")
        await admin.execute("ALTER SYSTEM SET full_page_writes = off")
        await admin.execute("SELECT pg_reload_conf()")
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def admin_dsn() -> Iterator[str]:
    """A DSN with the right to create databases."""
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    import pgserver

    root = Path(tempfile.mkdtemp(prefix="grassroots-test-"))
    # One worker at a time: as root pgserver creates its system user (useradd) before it
    # takes its own lock, so two workers starting at once on a new machine would both try.
    lock = os.open(Path(tempfile.gettempdir()) / "grassroots-tests-pgserver.lock", os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server = pgserver.get_server(root / "pgdata", cleanup_mode="stop")
    finally:
        os.close(lock)  # and with it the lock
    asyncio.run(_throwaway_settings(server.get_uri()))
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


class _Clones:
    """Fresh databases cloned from the template one ahead, on a thread of their own.

    A clone costs about 140 ms of PostgreSQL's time (``CREATE DATABASE`` copies the
    template's 9 MB), during which a test used to wait; now the next test's database is
    made while this test runs, and each test still gets a database no test used before.
    """

    def __init__(self, admin_dsn: str, template: str) -> None:
        self.admin_dsn, self.template = admin_dsn, template
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clone")
        self.next: Future[str] | None = None

    def _create(self) -> str:
        name = f"grassroots_t_{uuid.uuid4().hex[:12]}"

        async def create() -> None:
            admin = await asyncpg.connect(self.admin_dsn)
            try:
                await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            finally:
                await admin.close()

        asyncio.run(create())
        return name

    async def take(self) -> str:
        ready = self.next if self.next is not None else self.executor.submit(self._create)
        self.next = None
        name = await asyncio.wrap_future(ready)
        self.next = self.executor.submit(self._create)
        return name

    def close(self) -> str | None:
        """Stop cloning; the name of the clone made ahead and never taken, if any."""
        self.executor.shutdown(wait=True)
        return None if self.next is None or self.next.exception() is not None else self.next.result()


@pytest.fixture(scope="session")
def clones(admin_dsn: str, template_db: str) -> Iterator[_Clones]:
    made = _Clones(admin_dsn, template_db)
    yield made
    left = made.close()

    async def drop() -> None:
        admin = await asyncpg.connect(admin_dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{left}" WITH (FORCE)')
        await admin.close()

    if left is not None:
        asyncio.run(drop())


@pytest.fixture
async def dsn(admin_dsn: str, clones: _Clones) -> AsyncIterator[str]:
    """A fresh, migrated database for this test alone."""
    name = await clones.take()
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
