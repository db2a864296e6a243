"""``grassroots fund disclosure`` and ``grassroots fund disclosure-verify``: a period's
disclosure sheet (公示表), and the proof of what was published.

Both read the configured database directly, like ``fund as-of``; the tables and digests are
recomputed from the log (``api.disclosure``), never taken from a read model.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import typer

from api.cli.common import err, with_database
from api.disclosure import Sheet, Verification, sheet, verify
from api.disclosure_sheet import render_html, render_pdf
from domain.funds.disclosure import canonical
from domain.shared.errors import InvalidInput
from eventstore.db import connect

FORMATS = ("pdf", "html", "json")
T = TypeVar("T")


def disclosure(
    fund: UUID = typer.Argument(..., help="The fund's id."),
    period: str = typer.Option(..., help="2026, 2026-H1, 2026-Q2 or 2026-03."),
    fmt: str = typer.Option("pdf", "--format", help="pdf, html, or json (the table in its canonical form:"
                                                    " the file to publish next to the sheet)."),
    output: Path = typer.Option(None, "--output", "-o", help="File to write; standard output if omitted."),
) -> None:
    """Render a period's disclosure sheet: allocations, projects, payments, the balance over the
    period, and the digest its disclosure recorded (or "not yet disclosed")."""
    if fmt not in FORMATS:
        err.print(f"[red]format is one of {', '.join(FORMATS)}[/red]")
        raise typer.Exit(2)

    async def run(dsn: str) -> Sheet | None:
        conn = await connect(dsn)
        try:
            return await sheet(conn, fund, period)
        finally:
            await conn.close()

    found = _run(run)
    if found is None:
        err.print(f"[red]no fund {fund}[/red]")
        raise typer.Exit(1)
    body = (render_pdf(found) if fmt == "pdf" else render_html(found).encode("utf-8") if fmt == "html"
            else canonical(found.table))
    if output is None:
        sys.stdout.buffer.write(body)
    else:
        output.write_bytes(body)
    state = (f"disclosed on {found.disclosure.published_on.isoformat()}, digest {found.disclosure.digest}"
             if found.disclosure else "not yet disclosed")
    err.print(f"{found.table['period']['label']}: {state}"
              + ("; the ledger changed since: disclose the period again" if found.changed_since else ""))


def disclosure_verify(
    fund: UUID = typer.Argument(..., help="The fund's id."),
    published: Path = typer.Argument(None, help="The published table (JSON, as `fund disclosure --format json`"
                                                " wrote it) to check against the recorded digests."),
    period: str = typer.Option(..., help="2026, 2026-H1, 2026-Q2 or 2026-03."),
) -> None:
    """Recompute each disclosure of the period from the log and compare its digest with the
    recorded one, and a published table's with them. Exit 0 when all agree, 1 otherwise."""
    data = published.read_bytes() if published is not None else None

    async def run(dsn: str) -> Verification | None:
        conn = await connect(dsn)
        try:
            return await verify(conn, fund, period, data)
        finally:
            await conn.close()

    found = _run(run)
    if found is None:
        err.print(f"[red]no fund {fund}[/red]")
        raise typer.Exit(1)
    if not found.checks:
        err.print(f"[red]{found.period.label} of fund {fund} was never disclosed[/red]")
    for c in found.checks:
        d = c.disclosure
        verdict = "ok" if c.matches else f"MISMATCH: the log's table now has digest {c.recomputed}"
        sys.stdout.write(f"version {d.version}: published {d.published_on.isoformat()} at {d.place},"
                         f" digest {d.digest}: {verdict}\n")
    if found.changed_since:
        sys.stdout.write(f"the table as the log stands now differs (digest {found.current}): a correction"
                         " since the latest disclosure\n")
    if found.published is not None:
        matched = found.published_matches
        sys.stdout.write(f"{published}: digest {found.published}: "
                         + (f"the table disclosed at version {matched.version}\n" if matched is not None
                            else "MISMATCH: no disclosure of the period has this digest\n"))
    if not found.ok:
        raise typer.Exit(1)


def _run(run: Callable[[str], Coroutine[Any, Any, T]]) -> T:
    try:
        return with_database(run)
    except InvalidInput as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


def disclosure_commands(fund_app: typer.Typer) -> None:
    """Add the commands to ``grassroots fund``."""
    fund_app.command("disclosure")(disclosure)
    fund_app.command("disclosure-verify")(disclosure_verify)
