"""The ``grassroots`` command line."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from pathlib import Path
from uuid import UUID

import typer
import uvicorn
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from api.app import create_app
from api.append_keys import append_keys
from api.areas import PROJECTIONS
from api.auth import mint, signing_secret
from api.cli.common import apply_migrations, err, load_settings
from api.cli.funds import register as register_fund_commands
from api.cli.grids import register as register_grid_commands
from api.cli.integrity import register as register_integrity_commands
from api.cli.keys import app as keys_app
from api.cli.requests import register as register_request_commands
from api.config import ConfigError, Settings
from api.database import database
from api.persisted import load_manifests
from api.schema import export_sdl
from api.server import uvicorn_config
from api.signing import signing_key
from domain.shared.permissions import Role
from projections.integrations.nats import run_standalone
from projections.runtime.rebuild import rebuild as run_rebuild

app = typer.Typer(help="Grassroots Ledger: event-sourced GraphQL API for grassroots Party-building.",
                  no_args_is_help=True, add_completion=False)


def _logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # chatty at INFO


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    relay_nats: bool = typer.Option(False, "--relay-nats",
                                    help="Also run the NATS JetStream relay in this process."),
) -> None:
    """Migrate, start the projections and serve GraphQL (GraphiQL at /graphql)."""
    settings = load_settings()
    if relay_nats:
        settings = settings.model_copy(update={"integrations": settings.integrations.model_copy(
            update={"relay_nats": True})})
    _logging(settings)
    try:
        signing_secret(settings)
        signing_key(settings)
        append_keys(settings)
        load_manifests(settings.server.trusted_documents)
    except ConfigError as exc:
        err.print(f"[red]refusing to start:[/red] {exc}")
        raise typer.Exit(2) from exc
    # uvicorn re-raises SIGTERM after its graceful shutdown; turn it into SystemExit so
    # the embedded PostgreSQL is stopped on the way out, as with Ctrl-C.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with database(settings) as dsn:
        applied = asyncio.run(apply_migrations(dsn))
        if applied:
            err.print(f"applied migrations: {', '.join(applied)}")
        err.print(f"GraphQL at http://{host}:{port}/graphql")
        app = create_app(settings, dsn)
        # Everything imported by now (the schema, every area) lives as long as the
        # process: moving it out of the collector's generations keeps full collections
        # short (bench/bench_funds.py: the p95 of an as-of doubled without this).
        gc.freeze()
        # With the request limits of settings.server (head size, read timeouts, keep-alive,
        # WebSocket message size): api/server.py.
        server = uvicorn.Server(uvicorn_config(app, settings, host=host, port=port, log_level="warning"))
        with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run: Ctrl-C is a normal stop
            server.run()
        if not server.started:  # as uvicorn.run: it could not start (the port is taken, ...)
            raise typer.Exit(3)


@app.command()
def migrate() -> None:
    """Apply pending SQL migrations."""
    settings = load_settings()
    with database(settings) as dsn:
        applied = asyncio.run(apply_migrations(dsn))
    err.print(f"applied: {', '.join(applied)}" if applied else "already up to date")


@app.command()
def rebuild(name: str = typer.Argument(None, help="Projection to rebuild; all if omitted.")) -> None:
    """Replay the log into fresh read-model tables and swap them in."""
    settings = load_settings()
    names = [name] if name else list(PROJECTIONS)
    unknown = [n for n in names if n not in PROJECTIONS]
    if unknown:
        err.print(f"[red]unknown projection {unknown[0]!r}[/red]; known: {', '.join(PROJECTIONS)}")
        raise typer.Exit(2)
    with database(settings) as dsn:
        asyncio.run(apply_migrations(dsn))
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn())
        with Progress(*columns, console=err) as progress:
            for n in names:
                task = progress.add_task(f"rebuilding {n}", total=None)

                def report(pos: int, head: int, task: TaskID = task) -> None:
                    progress.update(task, completed=pos, total=head)

                final = asyncio.run(run_rebuild(dsn, PROJECTIONS[n], report))
                progress.update(task, description=f"rebuilt {n} to position {final}")


@app.command()
def token(
    role: list[str] = typer.Option(..., "--role", help="district_admin, street_admin, "
                                   "community_secretary, finance_officer, auditor, integration, grid_leader"
                                   " or grid_worker; repeatable."),
    org: str = typer.Option(None, help="Scope: root organization id. Required for every role but"
                            " district_admin; a district_admin token without it is whole-system."),
    subject: str = typer.Option("local-admin", help="Token subject (recorded as the actor)."),
    name: str = typer.Option("Local Admin", help="Display name."),
    ttl: int = typer.Option(8 * 3600, min=1, help="Lifetime in seconds."),
    grid: str = typer.Option(None, help="Grid scope: the grid id, for grid_leader/grid_worker tokens"
                             " only, with --org the grid's community (checked at every use)."),
) -> None:
    """Mint a bearer token signed with the configured (or local development) secret."""
    settings = load_settings()
    try:
        roles = [Role(r) for r in role]
        scope = None if org is None else UUID(org)
        if org is not None and str(scope) != org.lower():
            raise ValueError(f"--org must be an organization id (a UUID): {org!r}")
        grid_id = None if grid is None else UUID(grid)
        if grid is not None and str(grid_id) != grid.lower():
            raise ValueError(f"--grid must be a grid id (a UUID): {grid!r}")
        secret = signing_secret(settings)
        minted = mint(secret, subject=subject, name=name, roles=roles, scope=scope, ttl_seconds=ttl,
                      grid=grid_id)
    except (ValueError, ConfigError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    sys.stdout.write(minted + "\n")


relay_app = typer.Typer(help="Relay the event log to outside systems.", no_args_is_help=True)
app.add_typer(relay_app, name="relay")
app.add_typer(keys_app, name="keys")


@relay_app.command("nats")
def relay_nats() -> None:
    """Publish every event to NATS JetStream (GRASSROOTS_NATS_URL), resuming where it stopped."""
    settings = load_settings()
    _logging(settings)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with database(settings) as dsn:
        asyncio.run(apply_migrations(dsn))
        err.print(f"relaying to {settings.integrations.nats_url}"
                  f" (stream {settings.integrations.nats_stream})")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_standalone(dsn, settings.integrations))


@app.command("export-schema")
def export_schema(path: Path = typer.Argument(Path("schema.graphql"))) -> None:
    """Write the GraphQL schema (SDL) to a file."""
    path.write_text(export_sdl(), encoding="utf-8")
    err.print(f"wrote {path}")


# The auditors' parts: tamper evidence (integrity.py: verify, checkpoint, public-key) and
# funds (funds.py: demo, export, fund as-of, fund balance-on).
register_integrity_commands(app)
register_fund_commands(app)
register_grid_commands(app)
register_request_commands(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
