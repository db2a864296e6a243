"""``grassroots verify``, ``grassroots checkpoint``, ``grassroots public-key`` and
``grassroots witness publish``.

Exit codes of ``verify``: 0 clean, 1 a mismatch (the first is named by its log
position; with ``--witness``, also a witnessed checkpoint the database contradicts),
2 bad usage or configuration, or a witness that could not be read. ``verify`` checks
append authenticators with the configured append key if there is one (never generating
one), and says so when it cannot. ``checkpoint`` exits 1 when the hasher refuses an event
(the checkpoint then covers the events before it).
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
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.append_keys import append_keys, configured_append_keys
from api.cli.common import apply_migrations, err, load_settings
from api.config import ConfigError, Settings
from api.database import database
from api.signing import configured_public_key, signing_key
from api.witnesses import configured_witnesses
from eventstore.db import connect, create_pool
from eventstore.integrity.authenticators import Refusal
from eventstore.integrity.encoding import key_id, load_public_key, public_key_pem, raw_public_key
from eventstore.integrity.evidence import verify_evidence
from eventstore.integrity.hasher import checkpoint_now
from eventstore.integrity.store import first_refused
from eventstore.integrity.verify import VerifyReport, verify_log, verify_stream
from eventstore.integrity.witness import Witness, WitnessError
from eventstore.integrity.witness_check import WitnessReport, check_witness
from eventstore.integrity.witness_publisher import publish_pending

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
        help="Verify one stream (e.g. a fund's) against the latest checkpoint by "
        "inclusion proofs, and every checkpoint: its signature and its consistency with "
        "the one before. With --export: the file must hold this stream whole.",
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
    witness: list[str] = typer.Option(
        None,
        "--witness",
        help="Also check the database's checkpoints against this witness's copies: a "
        "directory, nats://host:port/STREAM (or .../STREAM/SUBJECT) or an http(s) URL "
        "(repeatable).",
    ),
) -> None:
    """Check the log (or one stream, or an evidence file) against the signed checkpoints."""
    settings = load_settings()
    try:
        key = _trusted_key(settings, public_key)
    except (OSError, ValueError) as exc:
        err.print(f"[red]bad public key:[/red] {exc}")
        raise typer.Exit(USAGE) from exc
    witnesses = _witnesses_to_check(settings, witness or [], key, export)
    if engine not in ("sql", "python"):
        err.print("[red]--engine is sql or python[/red]")
        raise typer.Exit(USAGE)
    try:
        sid = UUID(stream) if stream else None
    except ValueError as exc:
        err.print(f"[red]--stream is not a UUID: {stream}[/red]")
        raise typer.Exit(USAGE) from exc
    if export is not None:
        try:
            with export.open(encoding="utf-8") as lines:
                report = verify_evidence(lines, key, expect_streams=[sid] if sid else ())
        except OSError as exc:
            err.print(f"[red]cannot read {export}:[/red] {exc}")
            raise typer.Exit(USAGE) from exc
    else:
        try:
            report = _verify_database(settings, sid, key, engine, workers)
        except LookupError as exc:  # stored hashes gone: a finding, never a traceback
            sys.stdout.write(f"mismatch: {exc}\n")
            raise typer.Exit(MISMATCH) from exc
    for note in report.notes:
        err.print(f"[yellow]note:[/yellow] {note}", soft_wrap=True)
    sys.stdout.write(report.summary() + "\n")
    if witnesses and key is not None:
        found, unreadable = _check_witnesses(settings, witnesses, key)
        for w in found:
            for note in w.notes:
                err.print(f"[yellow]note:[/yellow] witness {escape(w.witness)}: {escape(note)}", soft_wrap=True)
            sys.stdout.write(w.summary() + "\n")
            sys.stdout.writelines(f"  - {problem}\n" for problem in w.problems[1:])
        if report.ok and all(w.ok for w in found) and unreadable:
            raise typer.Exit(USAGE)
        report_ok = report.ok and all(w.ok for w in found)
        raise typer.Exit(CLEAN if report_ok else MISMATCH)
    raise typer.Exit(CLEAN if report.ok else MISMATCH)


def _witnesses_to_check(
    settings: Settings, targets: list[str], key: Ed25519PublicKey | None, export: Path | None
) -> list[Witness]:
    if not targets:
        return []
    if export is not None:
        err.print("[red]--witness checks a database's checkpoints, not an evidence file[/red]")
        raise typer.Exit(USAGE)
    if key is None:
        err.print("[red]--witness needs the trusted public key (--public-key)[/red]")
        raise typer.Exit(USAGE)
    try:
        return configured_witnesses(settings, targets)
    except ValueError as exc:
        err.print(f"[red]bad --witness:[/red] {exc}")
        raise typer.Exit(USAGE) from exc


def _check_witnesses(
    settings: Settings, witnesses: list[Witness], key: Ed25519PublicKey
) -> tuple[list[WitnessReport], int]:
    """Each witness's copies against the database; (reports, witnesses that could not be read)."""

    async def run(dsn: str) -> tuple[list[WitnessReport], int]:
        reports, unreadable = [], 0
        conn = await connect(dsn)
        try:
            for w in witnesses:
                try:
                    copies = await w.read()
                except WitnessError as exc:
                    err.print(f"[red]cannot read witness {escape(w.name)}:[/red] {escape(str(exc))}", soft_wrap=True)
                    unreadable += 1
                    continue
                reports.append(await check_witness(conn, w.name, copies, key))
        finally:
            await conn.close()
        return reports, unreadable

    with database(settings) as dsn:
        return asyncio.run(run(dsn))


def _verify_database(
    settings: Settings, stream: UUID | None, key: Ed25519PublicKey | None, engine: str, workers: int
) -> VerifyReport:
    # The append keys check authenticators: the operator's (configured, or the development
    # data dir's), never generated here; without them verify says it did not check.
    try:
        appends = configured_append_keys(settings)
    except ConfigError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(USAGE) from exc
    with database(settings) as dsn:
        asyncio.run(apply_migrations(dsn))
        if stream is not None:

            async def one() -> VerifyReport:
                conn = await connect(dsn)
                try:
                    return await verify_stream(conn, stream, key, append_keys=appends)
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
                verify_log(dsn, key, workers=workers, engine=engine, progress=report,
                           append_keys=appends)
            )


def checkpoint() -> None:
    """Hash the log up to now and record a signed checkpoint; print it as JSON."""
    settings = load_settings()
    try:
        key = signing_key(settings)
        appends = append_keys(settings)
    except ConfigError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(USAGE) from exc

    async def run(dsn: str) -> tuple[dict[str, object], Refusal | None]:
        conn = await connect(dsn)
        try:
            cp = await checkpoint_now(conn, key, requested_by="cli", append_keys=appends)
            return cp.to_json(), await first_refused(conn, appends)
        finally:
            await conn.close()

    with database(settings) as dsn:
        asyncio.run(apply_migrations(dsn))
        found, refused = asyncio.run(run(dsn))
        if settings.integrity.witnesses:  # now, rather than when a server next runs
            asyncio.run(_publish(dsn, configured_witnesses(settings), everything=False))
    sys.stdout.write(json.dumps(found, indent=2) + "\n")
    if refused is not None:  # signed what precedes it; the rest cannot be sealed
        err.print(f"[red]the hasher refuses to seal {refused.describe()}; the checkpoint stops"
                  f" before it[/red]")
        raise typer.Exit(MISMATCH)


async def _publish(dsn: str, witnesses: list[Witness], *, everything: bool) -> bool:
    """Publish what each witness lacks (``everything``: all again); False if one failed."""
    pool = await create_pool(dsn, min_size=1, max_size=2)
    ok = True
    try:
        for w in witnesses:
            total = 0
            try:
                while True:
                    outcome = await publish_pending(pool, w, everything=everything and not total)
                    total += outcome.published
                    if outcome.error is not None:
                        err.print(f"[red]witness {escape(w.name)}:[/red] {escape(outcome.error)}", soft_wrap=True)
                        ok = False
                        break
                    if not outcome.published:
                        break
            finally:
                await w.close()
            err.print(f"witness {escape(w.name)}: {total} checkpoint(s) published", soft_wrap=True)
    finally:
        await pool.close()
    return ok


def witness_publish(
    to: list[str] = typer.Option(
        None,
        "--to",
        help="Publish to this witness (repeatable) instead of GRASSROOTS_WITNESSES.",
    ),
    everything: bool = typer.Option(
        False,
        "--all",
        help="Every checkpoint again, not only those the witness has not acknowledged "
        "(witnesses keep one copy of each).",
    ),
) -> None:
    """Publish the recorded checkpoints a witness has not acknowledged yet; exit 1 if one fails."""
    settings = load_settings()
    try:
        witnesses = configured_witnesses(settings, to or None)
    except ValueError as exc:
        err.print(f"[red]bad --to:[/red] {exc}")
        raise typer.Exit(USAGE) from exc
    if not witnesses:
        err.print("[red]no witness: set GRASSROOTS_WITNESSES or give --to[/red]")
        raise typer.Exit(USAGE)
    with database(settings) as dsn:
        asyncio.run(apply_migrations(dsn))
        ok = asyncio.run(_publish(dsn, witnesses, everything=everything))
    raise typer.Exit(CLEAN if ok else MISMATCH)


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
    witness_app = typer.Typer(help="Witnesses: copies of the signed checkpoints outside the database.",
                              no_args_is_help=True)
    witness_app.command("publish")(witness_publish)
    app.add_typer(witness_app, name="witness")
