"""``grassroots grids import FILE.csv|FILE.geojson``: a community's existing grids, from a file.

Grids often come from a spreadsheet or a GIS export. The import is all or nothing at the
validation step and exactly once at the recording step:

1. **Validate the whole file first**: every row (a CSV line, a GeoJSON feature) is checked
   as the domain would check it (code, community, name, kind, counts, buildings, boundary,
   start date, who may register it there), and codes listed twice in the file or taken by a
   grid this file did not register are refused. Every bad row is reported with its line
   number, and then nothing is recorded.
2. **Record through the domain**: each grid is a ``RegisterGrid`` command, one event stream
   each, as if entered by hand, with the file's SHA-256 digest in the reason. Each command's
   idempotency key is the digest and the grid's code, so running the same file again
   records nothing twice (it reports the grids as already imported); a progress bar shows
   the rows.

The actor is the operator (a whole-system district admin, ``--subject``) or, with
``--token``, the token's holder: a community secretary's token imports only into her
community. A grid's community is found by its code: the first 12 digits are the
community's division code.

CSV: a header line naming the columns ``code,name,kind`` and optionally ``households,
population,buildings`` (names separated by ``;``), ``boundary`` (GeoJSON text) and
``started_on`` (YYYY-MM-DD). GeoJSON: a FeatureCollection whose features have those
properties and a Polygon or MultiPolygon geometry (or null).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api import bootstrap
from api.append_keys import install_append_keys
from api.auth import InvalidToken, signing_secret, verify
from api.cli.common import err, load_settings, with_database
from api.config import ConfigError, Settings
from api.geometry import SHAPELY
from domain.grids.aggregate import (
    check_buildings,
    check_code,
    check_count,
    check_grid_name,
    check_kind,
)
from domain.grids.commands import RegisterGrid
from domain.grids.geometry import check_boundary
from domain.organizations.directory import AggregateDirectory
from domain.shared.commands import Request
from domain.shared.errors import DomainError
from domain.shared.permissions import Actor, Role, authorize
from eventstore.db import create_pool
from eventstore.postgres import PostgresEventStore

grids_app = typer.Typer(help="Unit grids: import a community's grids from a file.", no_args_is_help=True)
MAX_ROWS = 10_000


@dataclass
class Row:
    """One grid as the file states it, with the line it starts on."""

    line: int
    fields: dict[str, Any]


@dataclass
class Problem:
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field + ': ' if self.field else ''}{self.message}"


def _csv_rows(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for record in reader:
        fields = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in record.items() if k}
        if any(fields.values()):
            rows.append(Row(reader.line_num, fields))
    return rows


def _geojson_rows(text: str) -> list[Row]:
    """The features, each with the line its object starts on (read one by one with
    ``raw_decode``, so a line number can be given)."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValueError("a GeoJSON file holds a FeatureCollection")
    start = text.index("[", text.index('"features"'))
    decoder, at, rows = json.JSONDecoder(), start + 1, []
    while True:
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        if at >= len(text) or text[at] == "]":
            break
        feature, end = decoder.raw_decode(text, at)
        line = text.count("\n", 0, at) + 1
        if not isinstance(feature, dict):
            raise ValueError(f"line {line}: a feature is an object")
        fields = dict(feature.get("properties") or {})
        if feature.get("geometry") is not None:
            fields["boundary"] = feature["geometry"]
        rows.append(Row(line, fields))
        at = end
    return rows


def read_rows(path: Path) -> tuple[list[Row], str]:
    """The file's rows and its SHA-256 digest; ValueError if it cannot be read as grids at all."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    text = raw.decode("utf-8-sig")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(text)
    elif suffix in (".geojson", ".json"):
        rows = _geojson_rows(text)
    else:
        raise ValueError("the file is .csv or .geojson")
    if len(rows) > MAX_ROWS:
        raise ValueError(f"at most {MAX_ROWS} grids in one file")
    return rows, digest


def _int(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise DomainError(f"{value!r} is not a whole number", field=field) from None
    return check_count(number, field)


def _buildings(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    items = value if isinstance(value, list) else str(value).replace("、", ";").split(";")
    return tuple(check_buildings([str(b) for b in items if str(b).strip()]))


def _boundary(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    check_boundary(text, SHAPELY)
    return text


def command(row: Row, community: UUID, code: str, settings: Settings, reason: str) -> RegisterGrid:
    """The row as a RegisterGrid command, checked as the domain checks it (DomainError if not)."""
    f = row.fields
    started = f.get("started_on") or None
    try:
        started_on = date.fromisoformat(str(started)) if started else None
    except ValueError:
        raise DomainError(f"{started!r} is not a date (YYYY-MM-DD)", field="started_on") from None
    return RegisterGrid(
        community_id=community, code=code, name=check_grid_name(str(f.get("name") or "")),
        kind=check_kind(str(f.get("kind") or ""), settings.grids.rules), households=_int(f.get("households"),
                                                                                         "households"),
        population=_int(f.get("population"), "population"), buildings=_buildings(f.get("buildings")),
        boundary=_boundary(f.get("boundary")), started_on=started_on, reason=reason)


def idempotency_key(digest: str, code: str) -> str:
    return f"grids-import:{digest}:{code}"


async def validate(pool: asyncpg.Pool, rows: list[Row], digest: str, actor: Actor, settings: Settings,
                   reason: str) -> tuple[list[RegisterGrid], list[Problem]]:
    """Every row as a command, or every problem with its line."""
    directory = AggregateDirectory(PostgresEventStore(pool))
    communities = {r["key"]: r["owner"] for r in await pool.fetch(
        "SELECT key, owner FROM claims WHERE scope = 'organization.code'")}
    taken = {r["key"] for r in await pool.fetch("SELECT key FROM claims WHERE scope = 'grid.code'")}
    ours = {r["key"] for r in await pool.fetch(
        "SELECT key FROM idempotency_keys WHERE actor = $1 AND key LIKE $2", actor.subject,
        idempotency_key(digest, "%"))}
    commands, problems, seen = [], [], {}
    for row in rows:
        code = str(row.fields.get("code") or "").strip()
        try:
            community = communities.get(code[:12])
            if community is None:
                raise DomainError(f"no community has the division code {code[:12]!r} (a grid code's first 12"
                                  " digits)", field="code")
            authorize(actor, RegisterGrid, await directory.path_of(community))
            code = check_code(code, code[:12])
            if code in seen:
                raise DomainError(f"code {code} is listed on line {seen[code]} too", field="code")
            seen[code] = row.line
            if code in taken and idempotency_key(digest, code) not in ours:
                raise DomainError(f"code {code} is another grid's (codes are never reused)", field="code")
            commands.append(command(row, community, code, settings, reason))
        except DomainError as exc:
            problems.append(Problem(row.line, exc.field, exc.message))
    return commands, problems


def _actor(settings: Settings, token: str | None, subject: str) -> Actor:
    if token is None:
        return Actor(subject=subject, name=subject, roles=frozenset({Role.DISTRICT_ADMIN}), scope=None)
    return verify(signing_secret(settings), token)


@grids_app.command("import")
def import_grids(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .csv or .geojson file of grids."),
    token: str = typer.Option(None, help="Act as this token's holder (e.g. a community secretary's);"
                              " without it, as the operator (a whole-system district admin)."),
    subject: str = typer.Option("local-admin", help="The operator's name in the log (without --token)."),
) -> None:
    """Validate every row of FILE, then register its grids (again: nothing twice)."""
    settings = load_settings()
    try:
        install_append_keys(settings)  # the events are authenticated like the server's
        actor = _actor(settings, token, subject)
        rows, digest = read_rows(file)
    except (ConfigError, InvalidToken, ValueError, UnicodeDecodeError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    reason = f"imported from {file.name} (sha256 {digest})"

    async def run(dsn: str) -> tuple[int, int, list[Problem]]:
        pool = await create_pool(dsn, min_size=1, max_size=2)
        try:
            commands, problems = await validate(pool, rows, digest, actor, settings, reason)
            if problems or not commands:
                return 0, 0, problems
            handling = bootstrap.handling(settings, pool, lambda: datetime.now(UTC),
                                          AggregateDirectory(PostgresEventStore(pool)),
                                          bootstrap.fingerprint_key(signing_secret(settings)))
            correlation, new, again = uuid4(), 0, 0
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            with Progress(*columns, console=err) as progress:
                task = progress.add_task(f"importing {file.name}", total=len(commands))
                for cmd in commands:
                    request = Request(actor, correlation, idempotency_key=idempotency_key(digest, cmd.code))
                    outcome = await handling.run(cmd, request)
                    again, new = (again + 1, new) if outcome.replayed else (again, new + 1)
                    progress.advance(task)
            return new, again, []
        finally:
            await pool.close()

    try:
        new, again, problems = with_database(run, settings)
    except DomainError as exc:  # the world changed between validation and recording
        err.print(f"[red]{exc.message}[/red] (nothing after this grid was recorded; run the import again)")
        raise typer.Exit(1) from exc
    if problems:
        for problem in problems:
            err.print(f"[red]{problem}[/red]")
        err.print(f"{len(problems)} bad row(s) of {len(rows)}: nothing was recorded")
        raise typer.Exit(1)
    err.print(f"{new} grid(s) registered, {again} already imported from this file (sha256 {digest[:12]}…)")


def register(app: typer.Typer) -> None:
    app.add_typer(grids_app, name="grids")
