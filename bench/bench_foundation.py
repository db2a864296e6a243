"""Foundation benchmark: mutations/s, page reads/s and idle memory of the real server.

Run from the repository root::

    python bench/bench_foundation.py            # ~1 minute
    python bench/bench_foundation.py --py-spy /tmp/prof   # also sample the server

Everything happens in one run against a throwaway embedded PostgreSQL (pgserver) in a
temporary directory, so the figures can be compared with each other:

(a) ``registerMember`` mutations over HTTP from concurrent clients, against two
    baselines on the same database server: a bare asyncpg INSERT loop and the stock
    ``eventsourcing`` Application saving one-event aggregates to PostgreSQL.
(b) ``members(first: 50)`` pages over HTTP, against the same SQL issued through asyncpg
    directly, a trivial ``{ me { name } }`` query and the plain ``/healthz`` endpoint.
(c) Resident memory of the idle server process (PostgreSQL excluded).

The figures are printed, never checked: nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import psutil  # noqa: E402
from eventsourcing.application import Application  # noqa: E402
from eventsourcing.domain import Aggregate, event  # noqa: E402

from api.auth import mint  # noqa: E402
from domain.shared.permissions import Role  # noqa: E402
from eventstore.db import connect, create_pool  # noqa: E402
from eventstore.migrate import migrate  # noqa: E402

DB_NAME = "grassroots_bench"
BASELINE_DB = "baseline_bench"
SECRET = "bench-secret-" + "s" * 40
NIL = "00000000-0000-0000-0000-000000000000"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"

REGISTER = """
mutation Register($input: RegisterMemberInput!) {
  registerMember(input: $input) {
    __typename
    ... on MemberPayload { position member { id name standing } }
    ... on Error { code message }
  }
}"""
ESTABLISH = """
mutation Establish($input: EstablishOrganizationInput!) {
  establishOrganization(input: $input) {
    __typename
    ... on OrganizationPayload { organization { id } }
    ... on Error { code message }
  }
}"""
MEMBERS_PAGE = ("{ members(first: 50) { edges { node { id name standing"
                " homeOrganization { name } } } } }")
ME = "{ me { name } }"
# What the members resolver and the organization DataLoader send for that page.
MEMBERS_SQL = "SELECT * FROM members WHERE true ORDER BY name, id LIMIT 51"
ORGS_SQL = "SELECT * FROM organizations WHERE id = ANY($1::uuid[])"


# --------------------------------------------------------------------------- helpers


def id_number(i: int) -> tuple[str, date]:
    """A valid 18-character resident ID number (GB 11643), unique per ``i``, and its birth date."""
    born = date(1950, 1, 1) + timedelta(days=i // 999)
    body = f"320508{born:%Y%m%d}{i % 999 + 1:03d}"
    total = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK[total % 11], born


def member_input(i: int, home: str) -> dict[str, Any]:
    number, born = id_number(i)
    name = (SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)]
            + GIVEN[(i // 131) % len(GIVEN)])
    return {
        "name": f"{name}{i}", "gender": "MALE" if i % 2 else "FEMALE",
        "birthDate": born.isoformat(), "ethnicity": "汉族", "idNumber": number,
        "phone": f"139{i % 100_000_000:08d}", "standing": "FULL" if i % 5 else "PROBATIONARY",
        "joinedOn": (born + timedelta(days=25 * 365)).isoformat(), "homeOrganizationId": home,
    }


def with_database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
    return total


@dataclass
class CpuWatch:
    """CPU seconds spent by the client (this process), the server and PostgreSQL."""

    server: psutil.Process | None
    postmaster: psutil.Process | None

    def _pg(self) -> list[psutil.Process]:
        if self.postmaster is None:
            return []
        try:
            return [self.postmaster, *self.postmaster.children(recursive=True)]
        except psutil.Error:
            return []

    def snapshot(self) -> tuple[float, float, float]:
        me = psutil.Process()
        return (cpu_seconds([me]), cpu_seconds([self.server]) if self.server else 0.0,
                cpu_seconds(self._pg()))


@dataclass
class Result:
    name: str
    ok: int
    failed: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    cpu: tuple[float, float, float] | None = None  # client, server, postgres (seconds)
    first_error: str | None = None

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def ms(self, q: float) -> float:
        return pct(self.latencies, q) * 1000


async def run_load(
    name: str, clients: int, seconds: float, one: Callable[[int], Awaitable[str | None]],
    watch: CpuWatch | None = None, start: int = 0,
) -> Result:
    """``clients`` tasks call ``one(i)`` for ``seconds``; ``one`` returns an error or None."""
    counter = iter(range(start, 1 << 62))
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    ok = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal ok
        while time.perf_counter() < deadline:
            i = next(counter)
            t0 = time.perf_counter()
            try:
                error = await one(i)
            except (httpx.HTTPError, asyncpg.PostgresError, OSError, ValueError, KeyError,
                    TypeError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            if error is None:
                latencies.append(time.perf_counter() - t0)
                ok += 1
            else:
                errors[error[:200]] += 1

    before = watch.snapshot() if watch else None
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - t0
    cpu = None
    if watch and before:
        after = watch.snapshot()
        cpu = (after[0] - before[0], after[1] - before[1], after[2] - before[2])
    first = errors.most_common(1)[0][0] if errors else None
    return Result(name, ok, sum(errors.values()), elapsed, latencies, cpu, first_error=first)


# --------------------------------------------------------------------------- baselines


async def bench_asyncpg_insert(dsn: str, seconds: float) -> Result:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_rows"
            " (id bigserial PRIMARY KEY, payload jsonb NOT NULL)"
        )
        payload = json.dumps(member_input(1, NIL), ensure_ascii=False)
        stmt = await conn.prepare("INSERT INTO bench_rows (payload) VALUES ($1::jsonb)")
        lat: list[float] = []
        deadline = time.perf_counter() + seconds
        t0 = time.perf_counter()
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            await stmt.fetch(payload)
            lat.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - t0
    finally:
        await conn.close()
    return Result("asyncpg single-row INSERT, 1 connection, autocommit", len(lat), 0, elapsed, lat)


class BenchMember(Aggregate):
    """One-event aggregate carrying the same fields as a registerMember input."""

    @event("Registered")
    def __init__(self, name: str, gender: str, birth_date: str, ethnicity: str,
                 id_number: str, phone: str, standing: str, joined_on: str, home: str) -> None:
        self.name = name
        self.gender = gender
        self.birth_date = birth_date
        self.ethnicity = ethnicity
        self.id_number = id_number
        self.phone = phone
        self.standing = standing
        self.joined_on = joined_on
        self.home = home


class BenchMembers(Application[UUID]):
    def register(self, i: int) -> None:
        d = member_input(i, NIL)
        self.save(BenchMember(d["name"], d["gender"], d["birthDate"], d["ethnicity"],
                              d["idNumber"], d["phone"], d["standing"], d["joinedOn"],
                              d["homeOrganizationId"]))


def bench_eventsourcing(
    socket_dir: str, port: int, dbname: str, threads: int, seconds: float
) -> Result:
    """The stock eventsourcing Application saving one-event aggregates to PostgreSQL."""
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname, "POSTGRES_HOST": socket_dir, "POSTGRES_PORT": str(port),
        "POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "",
        "POSTGRES_POOL_SIZE": str(max(threads, 2)), "POSTGRES_MAX_OVERFLOW": "0",
    }
    app = BenchMembers(env=env)
    try:
        for i in range(20):  # warm up: connections, prepared statements
            app.register(10_000_000 + i)
        lock = threading.Lock()
        lat: list[float] = []
        counter = iter(range(1 << 62))
        deadline = time.perf_counter() + seconds

        def worker() -> None:
            mine: list[float] = []
            while time.perf_counter() < deadline:
                with lock:
                    i = next(counter)
                t = time.perf_counter()
                app.register(i)
                mine.append(time.perf_counter() - t)
            with lock:
                lat.extend(mine)

        t0 = time.perf_counter()
        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        elapsed = time.perf_counter() - t0
    finally:
        app.close()
    label = f"eventsourcing 9.5 Application.save, {threads} thread{'s' if threads > 1 else ''}"
    return Result(label, len(lat), 0, elapsed, lat)


# --------------------------------------------------------------------------- the server


class ServerProcess:
    def __init__(self, dsn: str, data_dir: Path, port: int, command: str | None = None) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = data_dir / "server.log"
        env = dict(os.environ)
        # One token sends every request of a run: the per-subject rate limit is off.
        env.update(DATABASE_URL=dsn, GRASSROOTS_JWT_SECRET=SECRET,
                   GRASSROOTS_DATA_DIR=str(data_dir), GRASSROOTS_RATE_LIMIT="0")
        exe = Path(sys.executable).with_name("grassroots")
        if command:
            self.command = shlex.split(command.replace("{port}", str(port)))
        else:
            program = str(exe) if exe.exists() else "grassroots"
            self.command = [program, "serve", "--port", str(port)]
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(self.command, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, cwd=str(ROOT))
        self.ps = psutil.Process(self.proc.pid)

    async def wait_ready(self, limit: float = 60.0) -> None:
        deadline = time.monotonic() + limit
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"server not ready after {limit} s:\n{self.log()}")

    def processes(self) -> list[psutil.Process]:
        """The server and any children it has, PostgreSQL excluded."""
        found = [self.ps]
        with contextlib.suppress(psutil.Error):
            found += [c for c in self.ps.children(recursive=True) if "postgres" not in c.name()]
        return found

    def rss_mb(self) -> float:
        return float(sum(p.memory_info().rss for p in self.processes())) / 2**20

    def peak_rss_mb(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def uss_mb(self) -> float | None:
        try:
            return float(self.ps.memory_full_info().uss) / 2**20
        except (psutil.Error, AttributeError):
            return None

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-4000:]
        return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


class RawHttp:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams; a connection per request in flight.

    httpx spends about 2 ms of CPU per request; on a small machine the load generator
    would then take a core away from the server it measures. This client spends a
    small fraction of that. It understands exactly what the server sends: a status line,
    headers with Content-Length, and a body.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(self, method: str, path: str, headers: dict[str, str],
                      body: bytes = b"") -> tuple[int, bytes]:
        conn = self.idle.pop() if self.idle else await asyncio.open_connection(self.host, self.port)
        reader, writer = conn
        head = [f"{method} {path} HTTP/1.1", f"host: {self.host}:{self.port}",
                f"content-length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        try:
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionError("server closed the connection")
            status = int(status_line.split(b" ", 2)[1])
            length, close = None, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
                elif name == b"transfer-encoding":
                    raise ValueError("chunked responses are not supported by the bench client")
            if length is None:
                raise ValueError("response without Content-Length")
            data = await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        if close:
            writer.close()
        else:
            self.idle.append(conn)
        return status, data

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


class Gql:
    """Posts prepared GraphQL bodies through httpx or the raw client."""

    def __init__(self, url: str, token: str, clients: int, kind: str) -> None:
        self.url = url
        self.kind = kind
        parts = urlsplit(url)
        self.raw = RawHttp(parts.hostname or "127.0.0.1", parts.port or 80)
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        self.client = httpx.AsyncClient(timeout=30, limits=limits)
        self.headers = {
            "authorization": f"Bearer {token}", "content-type": "application/json",
            "accept": "application/graphql-response+json",
        }

    async def send(self, method: str, path: str, body: bytes = b"",
                   headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = headers or {}
        if self.kind == "raw":
            return await asyncio.wait_for(self.raw.request(method, path, headers, body), 30)
        r = await self.client.request(method, f"{self.url}{path}", content=body or None,
                                      headers=headers)
        return r.status_code, r.content

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables}, ensure_ascii=False).encode()
        status, content = await self.send("POST", "/graphql", body, self.headers)
        data: dict[str, Any] = json.loads(content)
        if status != 200:
            raise ValueError(f"HTTP {status}: {str(data)[:200]}")
        return data

    def using(self, kind: str) -> Gql:
        other = Gql.__new__(Gql)
        other.__dict__.update(self.__dict__)
        other.kind = kind
        return other

    async def close(self) -> None:
        await self.client.aclose()
        await self.raw.close()


async def establish(gql: Gql, kind: str, name: str, parent: str | None, code: str | None) -> str:
    body = await gql.post(ESTABLISH, {"input": {"kind": kind, "name": name, "parentId": parent,
                                                "code": code}})
    result = (body.get("data") or {}).get("establishOrganization") or {}
    if result.get("__typename") != "OrganizationPayload":
        raise RuntimeError(f"could not establish {kind}: {body}")
    return str(result["organization"]["id"])


async def register(gql: Gql, i: int, home: str) -> str | None:
    body = await gql.post(REGISTER, {"input": member_input(i, home)})
    if body.get("errors"):
        return f"errors: {body['errors'][0].get('message')}"
    result = body["data"]["registerMember"]
    if result["__typename"] != "MemberPayload" or not result.get("member"):
        return f"{result['__typename']}: {result.get('message')}"
    return None


async def count_members(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM members"))
    finally:
        await conn.close()


def start_py_spy(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists() and not shutil.which(exe):
        print("py-spy not found; not profiling", file=sys.stderr)
        return None
    return subprocess.Popen(
        [exe, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))), "--rate", "200",
         "--format", "raw", "--nonblocking", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


PROFILE_MARKERS = (
    ("GraphQL validation", "validate (graphql/validation/validate.py"),
    ("GraphQL parsing", "parse (graphql/language/parser.py"),
    ("GraphQL execution", "(graphql/execution/"),
    ("command handlers (domain)", "Commands."),
    ("event store append", "PostgresEventStore.append"),
    ("projection runners", "ProjectionRunner."),
    ("webhook delivery (background)", "WebhookDeliverer."),
    ("log hasher (background)", "LogHasher."),
    ("event feed (background)", "EventFeed."),
    ("read-your-writes wait", "Supervisor.wait_for"),
    ("asyncpg calls", "(asyncpg/"),
    ("asyncpg pool release/reset", "PoolConnectionHolder.release"),
    ("JWT verification", "verify (api/auth.py"),
    ("JSON encoding of the response", "JSONResponse.render"),
    ("HTTP parsing (h11/httptools)", "Protocol.data_received"),
)


def _package(frame: str) -> str:
    """'func (graphql/execution/executor.py:12)' -> a short package name ('graphql/execution')."""
    if " (" not in frame:
        return frame
    path = frame.split(" (", 1)[1].rsplit(":", 1)[0]
    if path.startswith("<"):
        return f"generated code {path}"
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    parts = path.split("/")
    if len(parts) == 1:
        return f"stdlib {parts[0]}"
    if parts[0] in ("graphql", "strawberry") and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0]


def summarize_py_spy(path: Path, top: int = 12) -> str:
    """Self samples by package, and inclusive samples of a few areas, from collapsed stacks."""
    if not path.exists():
        return f"(no profile written to {path})"
    own: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        count = int(n)
        total += count
        own[_package(stack.split(";")[-1])] += count
        for label, marker in PROFILE_MARKERS:
            if marker in stack:
                areas[label] += count
    if not total:
        return f"(empty profile {path})"
    lines = [f"{path.name}: {total} samples of the server process", "  self time by package:"]
    lines += [f"    {100 * c / total:5.1f}%  {f}" for f, c in own.most_common(top)]
    lines.append("  inclusive time of some areas (they overlap):")
    lines += [f"    {100 * areas[label] / total:5.1f}%  {label}" for label, _ in PROFILE_MARKERS]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the run


def http_stack() -> str:
    """The event loop and HTTP parser uvicorn picks here (loop="auto", http="auto")."""
    import importlib.util

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return (f"uvicorn {version('uvicorn')} ({loop}, {http}), "
            f"strawberry {version('strawberry-graphql')}")


def version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as v

    try:
        return v(dist)
    except PackageNotFoundError:
        return "?"


@dataclass
class Memory:
    rss_start: float = 0.0
    uss_start: float | None = None
    rss_after: float = 0.0
    uss_after: float | None = None
    peak: float | None = None
    idle_cpu_pct: float = 0.0


async def main_async(args: argparse.Namespace, root: Path) -> int:
    import pgserver

    pgdata = root / "pgdata"
    t_start = time.perf_counter()

    def progress(what: str) -> None:
        print(f"[{time.perf_counter() - t_start:5.1f}s] {what}", file=sys.stderr, flush=True)

    load_start = os.getloadavg()[0]
    pg = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    server: ServerProcess | None = None
    try:
        info = pg.get_postmaster_info()
        admin = pg.get_uri()
        postmaster = psutil.Process(info.pid) if getattr(info, "pid", None) else None
        conn = await asyncpg.connect(admin)
        for name in (DB_NAME, BASELINE_DB):
            await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        dsn = with_database(admin, DB_NAME)
        base_dsn = with_database(admin, BASELINE_DB)
        mconn = await connect(dsn)
        try:
            await migrate(mconn)
        finally:
            await mconn.close()
        progress(f"PostgreSQL up in {pgdata}")

        # -- write baselines, before the server runs ----------------------------------
        results: dict[str, Result] = {}
        results["asyncpg_insert"] = await bench_asyncpg_insert(base_dsn, args.baseline_seconds)
        socket_dir = str(info.socket_dir) if info.socket_dir else "127.0.0.1"
        pg_port = int(info.port or 5432)
        loop = asyncio.get_running_loop()
        results["es_1"] = await loop.run_in_executor(
            None, bench_eventsourcing, socket_dir, pg_port, BASELINE_DB, 1, args.baseline_seconds)
        results["es_n"] = await loop.run_in_executor(
            None, bench_eventsourcing, socket_dir, pg_port, BASELINE_DB, args.clients,
            args.baseline_seconds)
        progress("write baselines done")

        # -- the server ---------------------------------------------------------------
        (root / "server-data").mkdir()
        server = ServerProcess(dsn, root / "server-data", free_port(), args.server_command)
        await server.wait_ready()
        mem = Memory()
        cpu0 = cpu_seconds([server.ps])
        await asyncio.sleep(args.idle_seconds)
        mem.idle_cpu_pct = 100 * (cpu_seconds([server.ps]) - cpu0) / args.idle_seconds
        mem.rss_start, mem.uss_start = server.rss_mb(), server.uss_mb()
        progress(f"server up on {server.url} (pid {server.proc.pid}, {mem.rss_start:.0f} MB RSS)")

        watch = CpuWatch(server.ps, postmaster)
        token = mint(SECRET, subject="bench-admin", name="Bench Admin",
                     roles=[Role.DISTRICT_ADMIN], scope=None)
        gql = Gql(server.url, token, args.clients, args.client)
        try:
            district = await establish(gql, "DISTRICT_COMMITTEE", "基准区委", None, None)
            street = await establish(gql, "STREET_WORKING_COMMITTEE", "基准街道党工委", district,
                                     "320508019000")
            community = await establish(gql, "COMMUNITY_COMMITTEE", "基准社区党委", street,
                                        "320508019001")

            # (a) mutations: warm up, then measure
            await run_load("warm-up", args.clients, args.warmup_seconds,
                           lambda i: register(gql, i, community), start=0)
            prof = None
            if args.py_spy:
                prof = start_py_spy(server.proc.pid, args.mutation_seconds,
                                    args.py_spy / "mutations.txt")
            results["mut"] = await run_load(
                f"registerMember over HTTP ({args.client} client)", args.clients,
                args.mutation_seconds, lambda i: register(gql, i, community), watch,
                start=1_000_000)
            if prof:
                prof.wait(30)
            progress("mutations done")

            # at least --min-members members before paging (bounded top-up)
            have = await count_members(dsn)
            for batch in range(100):
                if have >= args.min_members:
                    break
                await asyncio.gather(*(register(gql, 2_000_000 + batch * 100 + k, community)
                                       for k in range(100)))
                have = await count_members(dsn)

            # (b) reads
            def page_with(g: Gql) -> Callable[[int], Awaitable[str | None]]:
                async def page(_i: int) -> str | None:
                    body = await g.post(MEMBERS_PAGE)
                    if body.get("errors"):
                        return str(body["errors"][0].get("message"))
                    edges = body["data"]["members"]["edges"]
                    if len(edges) != 50 or edges[0]["node"]["homeOrganization"] is None:
                        return f"page of {len(edges)}"
                    return None
                return page

            async def me(_i: int) -> str | None:
                body = await gql.post(ME)
                return str(body["errors"]) if body.get("errors") else None

            async def healthz(_i: int) -> str | None:
                status, _ = await gql.send("GET", "/healthz")
                return None if status == 200 else f"HTTP {status}"

            await run_load("warm-up", args.clients, 1.0, page_with(gql))
            if args.py_spy:
                prof = start_py_spy(server.proc.pid, args.read_seconds,
                                    args.py_spy / "members_page.txt")
            results["page"] = await run_load(f"members(first: 50) over HTTP ({args.client} client)",
                                             args.clients, args.read_seconds, page_with(gql), watch)
            if args.py_spy and prof:
                prof.wait(30)
            if args.client != "httpx":
                results["page_httpx"] = await run_load(
                    "members(first: 50) over HTTP (httpx client)", args.clients, args.small_seconds,
                    page_with(gql.using("httpx")), watch)
            results["me"] = await run_load(f"{{ me {{ name }} }} over HTTP ({args.client} client)",
                                           args.clients, args.small_seconds, me, watch)
            results["healthz"] = await run_load(
                f"GET /healthz: Starlette JSON, no GraphQL ({args.client} client)",
                args.clients, args.small_seconds, healthz, watch)

            pool = await create_pool(dsn, min_size=10, max_size=10)
            try:
                async def sql_page(_i: int) -> str | None:
                    async with pool.acquire() as c:
                        rows = await c.fetch(MEMBERS_SQL)
                        homes = list({r["home_organization_id"] for r in rows[:50]})
                        orgs = await c.fetch(ORGS_SQL, homes)
                    return None if len(rows) == 51 and orgs else f"{len(rows)} rows"

                results["sql"] = await run_load("same SQL via asyncpg (pool of 10)", args.clients,
                                                args.small_seconds, sql_page, watch)
            finally:
                await pool.close()
        finally:
            await gql.close()
        progress("reads done")

        # (c) memory once the load has passed
        await asyncio.sleep(args.idle_seconds)
        mem.rss_after, mem.uss_after = server.rss_mb(), server.uss_mb()
        mem.peak = server.peak_rss_mb()

        loads = (load_start, os.getloadavg()[0])
        report(args, results, have, mem, server.command, time.perf_counter() - t_start, loads)
        if args.py_spy:
            for name in ("mutations.txt", "members_page.txt"):
                print("\n```\n" + summarize_py_spy(args.py_spy / name) + "\n```")
        return 0
    finally:
        if server is not None:
            server.stop()
        pg.cleanup()


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def report(args: argparse.Namespace, r: dict[str, Result], members: int, mem: Memory,
           server_command: list[str], total: float, loads: tuple[float, float]) -> None:
    def cpu(res: Result) -> str:
        if not res.cpu or not res.ok:
            return ""
        c, s, p = (1000 * x / res.ok for x in res.cpu)
        return f"{c:.2f} / {s:.2f} / {p:.2f}"

    def row(res: Result, ratio: str = "") -> str:
        fails = f" ({res.failed} failed, e.g. {res.first_error})" if res.failed else ""
        return (f"| {res.name}{fails} | {res.ok} | {res.rate:,.0f} | {res.ms(0.5):.2f} | "
                f"{res.ms(0.99):.2f} | {cpu(res)} | {ratio} |")

    mut, es1, esn, ins = r["mut"], r["es_1"], r["es_n"], r["asyncpg_insert"]
    es_best = max(es1.rate, esn.rate)
    head = ("| Measurement | ok | per s | p50 ms | p99 ms "
            "| CPU ms per op: client / server / PG | ratio |\n"
            "|---|---:|---:|---:|---:|---|---|")
    print()
    print(f"## Grassroots Ledger foundation benchmark ({os.cpu_count()} CPUs, "
          f"{args.clients} concurrent "
          f"clients, Python {sys.version.split()[0]}, {http_stack()}, one server process)")
    print()
    print("### (a) Mutations")
    print()
    print(head)
    print(row(mut, f"**{mut.rate / es_best:.2f}× eventsourcing** (best of both); "
                   f"{mut.rate / ins.rate:.2f}× bare INSERT"))
    print(row(ins, "1.00× (one durable commit each)"))
    print(row(es1, f"{es1.rate / ins.rate:.2f}× bare INSERT"))
    print(row(esn, f"{esn.rate / ins.rate:.2f}× bare INSERT"))
    print()
    print("### (b) Reads")
    print()
    print(head)
    page, sql = r["page"], r["sql"]
    print(row(page, f"{page.rate / sql.rate:.2f}× direct SQL"))
    if "page_httpx" in r:
        print(row(r["page_httpx"], f"{r['page_httpx'].rate / page.rate:.2f}× {args.client} client"))
    print(row(sql, "1.00×"))
    print(row(r["me"], f"{r['me'].rate / page.rate:.2f}× members page"))
    print(row(r["healthz"], f"{r['healthz'].rate / page.rate:.2f}× members page"))
    print()
    print("### (c) Server memory (server process, PostgreSQL excluded)")
    print()
    print("| When | RSS MB | USS MB |\n|---|---:|---:|")
    print(f"| idle after start-up | {mem.rss_start:.1f} | {fmt(mem.uss_start)} |")
    print(f"| idle after the load above | {mem.rss_after:.1f} | {fmt(mem.uss_after)} |")
    print(f"| peak during the run (VmHWM) | {fmt(mem.peak)} | |")
    print()
    print(f"Idle server CPU after start-up: {mem.idle_cpu_pct:.1f}% of one core.")
    print()
    print("### Targets")
    print()
    print("| Target | Measured | Met |\n|---|---|---|")
    ratio = mut.rate / es_best
    print(f"| end-to-end mutations ≥ 1.5 × eventsourcing Application | {mut.rate:,.0f}/s vs "
          f"{es_best:,.0f}/s = **{ratio:.2f}×** (vs 1 thread {mut.rate / es1.rate:.2f}×, "
          f"vs {args.clients} threads {mut.rate / esn.rate:.2f}×) | "
          f"{'yes' if ratio >= 1.5 else 'no'} |")
    print(f"| members(first: 50) ≥ 500 req/s per worker | {page.rate:,.0f}/s (one worker) | "
          f"{'yes' if page.rate >= 500 else 'no'} |")
    idle = max(mem.rss_start, mem.rss_after)
    print(f"| idle RSS < 200 MB | {idle:.1f} MB (larger of the two idle readings) | "
          f"{'yes' if idle < 200 else 'no'} |")
    print()
    print(f"Members in the read model while paging: {members}. Whole run: {total:.0f} s. "
          "CPU columns: milliseconds of CPU per successful operation used by the load generator "
          "(this process), the server process and all PostgreSQL processes together; the "
          "baselines without a server show no CPU split.")
    print()
    print(f"Machine load average (1 min) at start / end: {loads[0]:.2f} / {loads[1]:.2f} on "
          f"{os.cpu_count()} CPUs. This run itself keeps about 2 busy; a much higher start value "
          "means other work shared the machine and the figures above are low.")
    print()
    argv = " ".join(shlex.quote(a) for a in sys.argv[1:])
    print(f"Command: `cd {ROOT} && {shlex.quote(sys.executable)} bench/bench_foundation.py"
          f"{' ' + argv if argv else ''}`  ")
    print(f"Server: `{' '.join(shlex.quote(c) for c in server_command)}` with DATABASE_URL, "
          "GRASSROOTS_JWT_SECRET and GRASSROOTS_DATA_DIR set")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients / threads")
    p.add_argument("--client", choices=("raw", "httpx"), default="raw",
                   help="HTTP client of the load runs: the built-in raw keep-alive client (cheap) "
                        "or httpx.AsyncClient; the members page also runs once with httpx")
    p.add_argument("--mutation-seconds", type=float, default=10.0)
    p.add_argument("--read-seconds", type=float, default=8.0)
    p.add_argument("--small-seconds", type=float, default=4.0,
                   help="duration of the httpx page, { me }, /healthz and direct-SQL runs")
    p.add_argument("--baseline-seconds", type=float, default=4.0,
                   help="duration of each write baseline (asyncpg, eventsourcing × 2)")
    p.add_argument("--warmup-seconds", type=float, default=1.5)
    p.add_argument("--idle-seconds", type=float, default=2.0, help="settle time before reading RSS")
    p.add_argument("--min-members", type=int, default=500)
    p.add_argument("--py-spy", type=Path, default=None, metavar="DIR",
                   help="sample the server with py-spy during the mutation and page runs "
                        "(adds overhead; writes collapsed stacks to DIR)")
    p.add_argument("--server-command", default=None, metavar="CMD",
                   help="start the server with CMD instead of 'grassroots serve --port {port}' "
                        "({port} is replaced; the server must listen on 127.0.0.1:{port})")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args()
    if args.py_spy:
        args.py_spy.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="grassroots-bench-"))
    try:
        return asyncio.run(main_async(args, root))
    finally:
        if args.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
