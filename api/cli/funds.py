"""Command-line tools for auditors: ``grassroots export`` and ``grassroots fund ...``.

Registered on the main app by ``api/cli/main.py`` (``register``). They read the configured
database (``DATABASE_URL``, or the embedded server in ``GRASSROOTS_DATA_DIR``) directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.append_keys import install_append_keys
from api.audit import fund_as_of, fund_balance_on
from api.cli.common import err, load_settings, with_database
from api.cli.demo import CONCURRENCY, LEFT_OUT, DemoResult, load_demo, planned_commands, sampled
from api.cli.demo_data import SCALES
from api.cli.disclosure import disclosure_commands
from api.config import ConfigError
from api.export import ExportError, Selection, lines
from domain.shared.errors import DomainError
from eventstore.db import connect, create_pool
from eventstore.integrity.evidence import EvidenceIncomplete

fund_app = typer.Typer(help="Ask a fund's past, replayed from the log.", no_args_is_help=True)


def export(
    fund: UUID = typer.Option(None, help="Export this fund's history."),
    organization: UUID = typer.Option(None, help="Or every fund and inspection of this subtree."),
    from_date: datetime = typer.Option(None, "--from", formats=["%Y-%m-%d"], help="First business date."),
    to_date: datetime = typer.Option(None, "--to", formats=["%Y-%m-%d"], help="Last business date."),
    fmt: str = typer.Option("csv", "--format", help="csv, or jsonl (verifiable evidence)."),
    output: Path = typer.Option(None, "--output", "-o", help="File to write; standard output if omitted."),
) -> None:
    """Export a fund's or a subtree's history for a period as CSV or JSON lines."""
    try:
        selection = Selection(fund, organization, from_date.date() if from_date else None,
                              to_date.date() if to_date else None)
        if fmt not in ("csv", "jsonl"):
            raise ExportError("format is csv or jsonl")
    except ExportError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc

    async def run(dsn: str) -> int:
        # A file is written under a temporary name next to it and renamed only once
        # complete: an export that fails leaves no (truncated) file behind.
        conn = await connect(dsn)
        count = 0
        part = (
            tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed or removed below
                "w", encoding="utf-8", newline="", dir=output.parent, prefix=f".{output.name}.",
                suffix=".part", delete=False,
            )
            if output else None
        )
        sink = part if part is not None else sys.stdout
        try:
            async for line in lines(conn, selection, fmt):
                sink.write(line)
                count += 1
            if part is not None and output is not None:
                part.close()
                os.replace(part.name, output)
                part = None
        finally:
            if part is not None:
                part.close()
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(part.name)
            await conn.close()
        return count

    try:
        count = with_database(run)
    except EvidenceIncomplete as exc:
        err.print(f"[red]export refused:[/red] {exc}" + (f"; {output} was not written" if output else ""))
        raise typer.Exit(1) from exc
    err.print(f"wrote {count} lines" + (f" to {output}" if output else ""))


@fund_app.command("as-of")
def as_of(
    fund: UUID = typer.Argument(..., help="The fund's id."),
    at: datetime = typer.Option(..., help="Recorded instant, ISO-8601 (UTC if no zone)."),
    replay_aggregate: bool = typer.Option(False, help="Replay the domain model instead of folding payloads."),
) -> None:
    """Print the fund's state as of a recorded instant, replayed from the log (JSON)."""
    instant = at if at.tzinfo else at.replace(tzinfo=UTC)

    async def run(dsn: str) -> dict[str, object] | None:
        conn = await connect(dsn)
        try:
            found = await fund_as_of(conn, fund, instant, aggregate=replay_aggregate)
        finally:
            await conn.close()
        if found is None:
            return None
        return {
            "fund": str(found.fund_id), "at": instant.isoformat(), "version": found.version,
            "position": found.position, "allocated": str(found.allocated), "paid": str(found.paid),
            "committed": str(found.committed), "balance": str(found.balance),
            "available": str(found.available), "closed": found.closed, "method": found.method,
            "projects": [{"id": p.id, "title": p.title, "state": p.state,
                          "approvedAmount": str(p.approved), "paid": str(p.paid)}
                         for p in found.projects],
        }

    result = with_database(run)
    if result is None:
        err.print(f"[red]fund {fund} had no events by {instant.isoformat()}[/red]")
        raise typer.Exit(1)
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")


@fund_app.command("balance-on")
def balance_on(
    fund: UUID = typer.Argument(..., help="The fund's id."),
    on: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="Business date, YYYY-MM-DD."),
    as_recorded_at: datetime = typer.Option(
        None, help="As the log knew it at this recorded instant, ISO-8601 (UTC if no zone); default: now."),
) -> None:
    """Print the fund's balance on a business date, folded from the recorded events (bitemporal:
    with --as-recorded-at, from the events recorded by then only)."""
    day: date = on.date()
    known = None if as_recorded_at is None else (
        as_recorded_at if as_recorded_at.tzinfo else as_recorded_at.replace(tzinfo=UTC))

    async def run(dsn: str) -> object:
        conn = await connect(dsn)
        try:
            return await fund_balance_on(conn, fund, day, known)
        finally:
            await conn.close()

    result = with_database(run)
    if result is None:
        by = f" by {known.isoformat()}" if known is not None else ""
        err.print(f"[red]fund {fund} had no events{by}[/red]")
        raise typer.Exit(1)
    sys.stdout.write(f"{result}\n")


def demo(
    scale: str = typer.Option("district", help="small (a street, four communities), district (Longgang:"
                              " 11 streets, 82 communities, 8,902 members) or city (Panjin: 252 communities)."),
    seed: int = typer.Option(2023, help="The same seed builds the same district, name for name."),
) -> None:
    """Load a demo district through the real command handlers; resumable, and a second run only reports."""
    if scale not in SCALES:
        err.print(f"[red]--scale is one of {', '.join(SCALES)}[/red]")
        raise typer.Exit(2)
    settings = load_settings()
    try:
        install_append_keys(settings)  # the demo's events are authenticated like the server's
    except ConfigError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc

    async def run(dsn: str) -> tuple[DemoResult, float]:
        pool = await create_pool(dsn, min_size=1, max_size=CONCURRENCY + 2)
        started = time.monotonic()
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        try:
            with Progress(*columns, console=err, transient=True) as progress:
                task = progress.add_task(f"demo {scale} (seed {seed})", total=planned_commands(scale))
                result = await load_demo(pool, scale=scale, seed=seed,
                                         progress=lambda n: progress.advance(task, n))
            return result, time.monotonic() - started
        finally:
            await pool.close()

    try:
        result, took = with_database(run, settings)
    except (DomainError, ExceptionGroup) as exc:
        first = exc.exceptions[0] if isinstance(exc, ExceptionGroup) else exc
        err.print(f"[red]the demo stopped: {first}[/red] (what was recorded stays; running it again resumes)")
        raise typer.Exit(1) from exc
    events = sum(result.counts.values())
    if result.complete_before:
        err.print(f"the {scale} demo (seed {seed}) is already loaded: {events} events; nothing was run")
    else:
        err.print(f"demo {scale} (seed {seed}) loaded: {result.commands} commands ({result.appended} appended,"
                  f" {result.commands - result.appended} replayed from an earlier run), {events} events"
                  f" in {took:.0f} s ({events / max(took, 0.001):.0f} events/s)")
    shown = ("Organization.Established", "Member.Registered", "Grid.Registered", "Grid.StaffAppointed",
             "Member.TransferRequested", "Member.TransferAccepted", "Member.TransferExpired", "Fund.Opened",
             "Fund.ProjectProposed", "Fund.PaymentRecorded")
    err.print("  " + ", ".join(f"{t} {result.counts[t]}" for t in shown if t in result.counts))
    err.print(f"  district {result.district}\n  street {result.street}\n  community {result.communities[0]}"
              f"\n  service fund {result.funds[0] if result.funds else '-'}\n  member {result.member}"
              f"\n  grid {result.grid}")
    err.print(f"  tokens: grassroots token --role district_admin\n"
              f"          grassroots token --role community_secretary --org {result.communities[0]}\n"
              f"          grassroots token --role auditor --org {result.district}")
    err.print("  " + sampled(scale))
    err.print("  not in the demo yet: " + ", ".join(LEFT_OUT))


def register(app: typer.Typer) -> None:
    app.command()(demo)
    app.command()(export)
    disclosure_commands(fund_app)  # fund disclosure, fund disclosure-verify
    app.add_typer(fund_app, name="fund")
