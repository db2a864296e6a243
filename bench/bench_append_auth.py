"""What append authenticators add to the write path: the CPU of authenticating one event
against the client-side CPU of one ``PostgresEventStore.append`` of it, in the same run.

    .venv/bin/python bench/bench_append_auth.py

Prints the two figures and their ratio (README "Tamper evidence", append authenticators).
Runs its own embedded PostgreSQL; nothing else needs to be running.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
import timeit
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pgserver

from domain.shared.ports import Append, Metadata, NewEvent
from eventstore.db import connect, create_pool
from eventstore.integrity.authenticators import AppendKeys, install
from eventstore.migrate import migrate
from eventstore.personal_keys import PersonalKeys
from eventstore.personal_keys import install as install_personal
from eventstore.postgres import PostgresEventStore, authenticate


def request() -> Append:
    """One member registration's event, its personal fields sealed as they are stored."""
    stream = uuid4()
    payload = {
        "name": "王小明", "gender": "MALE", "birthDate": "1988-04-02", "organizationId": str(uuid4()),
        "joinedOn": "2012-07-01", "standing": "FULL", "originalId": str(stream),
        "idNumber": {"alg": "A256GCM", "kid": str(uuid4()), "ct": "x" * 60},
        "phone": {"alg": "A256GCM", "kid": str(uuid4()), "ct": "y" * 44},
    }
    event = NewEvent(stream_id=stream, stream_type="Member", version=1, event_id=uuid4(),
                     event_type="Member.Registered", schema_version=1, payload=payload)
    meta = Metadata(actor="secretary-1", actor_roles=("community_secretary",), correlation_id=uuid4(),
                    command_id="idem-123", reason=None)
    return Append([event], meta)


async def append_cpu(count: int = 3000, warm: int = 300) -> float:
    """Client CPU seconds per ``append`` of one event, after ``warm`` untimed appends."""
    root = Path(tempfile.mkdtemp())
    server = pgserver.get_server(root / "pg", cleanup_mode="stop")
    try:
        dsn = server.get_uri()
        conn = await connect(dsn)
        await migrate(conn)
        await conn.close()
        pool = await create_pool(dsn, min_size=1, max_size=1)
        store = PostgresEventStore(pool)
        requests = [request() for _ in range(count)]
        for r in requests[:warm]:
            await store.append(r)
        started = time.process_time()
        for r in requests[warm:]:
            await store.append(r)
        cpu = (time.process_time() - started) / (count - warm)
        await pool.close()
        return cpu
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    keys = AppendKeys.parse(AppendKeys.new_key())
    install(keys)
    install_personal(PersonalKeys([PersonalKeys.new_kek()]))
    r, n = request(), 20_000
    auth = min(timeit.repeat(lambda: authenticate(keys, r.events, r), number=n, repeat=5)) / n
    append = asyncio.run(append_cpu())
    print(f"authenticator {auth * 1e6:.1f} µs per event; client CPU of one append {append * 1e6:.0f} µs;"
          f" ratio {auth / append:.1%}")


if __name__ == "__main__":
    main()
