"""``grassroots verify``, ``grassroots checkpoint`` and ``grassroots public-key``.

Exit codes of ``verify``: 0 clean, 1 a mismatch (the first is named by its log
position), 2 bad usage or configuration.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from uuid import UUID

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.cli.common import apply_migrations, err, load_settings
from api.config import ConfigError, Settings
from api.database import database
from api.signing import configured_public_key, signing_key
from eventstore.db import connect
from eventstore.integrity.encoding import key_id, load_public_key, public_key_pem, raw_public_key
from eventstore.integrity.evidence import verify_evidence
from eventstore.integrity.hasher import checkpoint_now
from eventstore.integrity.verify import VerifyReport, verify_log, verify_stream

CLEAN, MISMATCH, USAGE = 0, 1, 2


def _trusted_key(settings: Settings, given: str | None) -> Ed25519PublicKey | None:
    if given:
        path = Path(given)
        text = path.read_bytes() if len(given) < 4096 and path.is_file() else given.encode()
        return load_public_key(text)
    return configured_public_key(settings)


def verify(
    stream: str = typer.Option(
        None,
        "--stream",
        help="Verify one stream (e.g. a fund's) "
        "against the latest checkpoint, by inclusion proofs.",
    ),
    export: Path = typer.Option(
        None, "--export", help="Verify an evidence file (JSON lines) offline: no database is used."
    ),
    public_key: str = typer.Option(
        None,
        "--public-key",
        help="The trusted Ed25519 public key "
        "(PEM, base64 or hex, or a file holding it). Default: the "
        "configured signing key's.",
    ),
    engine: str = typer.Option(
        "sql",
        help="sql: recompute leaf hashes inside PostgreSQL "
        "(fast); python: recompute every event in this process.",
    ),
    workers: int = typer.Option(
        os.cpu_count() or 2, min=1, max=64, help="Connections recomputing in parallel."
    ),
) -> None:
    """Check the log (or one stream, or an evidence file) against the signed checkpoints."""
    settings = load_settings()
    try:
        key = _trusted_key(settings, public_key)
    except (OSError, ValueError) as exc:
        err.print(f"[red]bad public key:[/red] {exc}")
        raise typer.Exit(USAGE) from exc
    if engine not in ("sql", "python"):
        err.print("[red]--engine is sql or python[/red]")
        raise typer.Exit(USAGE)
    if export is not None:
        try:
            with export.open(encoding="utf-8") as lines:
                report = verify_evidence(lines, key)
        except OSError as exc:
            err.print(f"[red]cannot read {export}:[/red] {exc}")
            raise typer.Exit(USAGE) from exc
    else:
        try:
            sid = UUID(stream) if stream else None
        except ValueError as exc:
            err.print(f"[red]--stream is not a UUID: {stream}[/red]")
            raise typer.Exit(USAGE) from exc
        try:
            report = _verify_database(settings, sid, key, engine, workers)
        except LookupError as exc:  # stored hashes gone: a finding, never a traceback
            sys.stdout.write(f"mismatch: {exc}\n")
            raise typer.Exit(MISMATCH) from exc
    for note in report.notes:
        err.print(f"[yellow]note:[/yellow] {note}")
    sys.stdout.write(report.summary() + "\n")
    raise typer.Exit(CLEAN if report.ok else MISMATCH)


def _verify_database(
    settings: Settings, stream: UUID | None, key: Ed25519PublicKey | None, engine: str, workers: int
) -> VerifyReport:
    with database(settings) as dsn:
        asyncio.run(apply_migrations(dsn))
        if stream is not None:

            async def one() -> VerifyReport:
                conn = await connect(dsn)
                try:
                    return await verify_stream(conn, stream, key)
                finally:
                    await conn.close()

            return asyncio.run(one())
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task("verifying the log", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            return asyncio.run(
                verify_log(dsn, key, workers=workers, engine=engine, progress=report)
            )


def checkpoint() -> None:
    """Hash the log up to now and record a signed checkpoint; print it as JSON."""
    settings = load_settings()
    try:
        key = signing_key(settings)
    except ConfigError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(USAGE) from exc

    async def run(dsn: str) -> dict[str, object]:
        conn = await connect(dsn)
        try:
            return (await checkpoint_now(conn, key, requested_by="cli")).to_json()
        finally:
            await conn.close()

    with database(settings) as dsn:
        asyncio.run(apply_migrations(dsn))
        found = asyncio.run(run(dsn))
    sys.stdout.write(json.dumps(found, indent=2) + "\n")


def public_key() -> None:
    """Print the checkpoint signing key's public half (PEM) and its key id."""
    try:
        public = signing_key(load_settings()).public_key()
    except ConfigError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(USAGE) from exc
    err.print(f"key id {key_id(raw_public_key(public))}")
    sys.stdout.write(public_key_pem(public))


def register(app: typer.Typer) -> None:
    app.command()(verify)
    app.command()(checkpoint)
    app.command("public-key")(public_key)
