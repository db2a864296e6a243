"""``grassroots requests escalate``: one escalation sweep of residents' requests.

``grassroots serve`` sweeps every ``GRASSROOTS_REQUEST_SWEEP_INTERVAL`` seconds; this runs one
sweep now (from cron, or after a server was down): the read models are brought up to the log's
head first (by this process, or by a running server that holds their locks), then every
request past its deadline is escalated by the system actor with the rule as its reason.
Running it twice escalates nothing twice (``api.escalation``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from api import bootstrap
from api.append_keys import install_append_keys
from api.areas import PROJECTIONS
from api.auth import signing_secret
from api.cli.common import err, load_settings, with_database
from api.config import ConfigError
from api.escalation import sweep
from eventstore.db import create_pool
from projections.runtime.supervisor import Supervisor

requests_app = typer.Typer(help="Residents' requests: the escalation sweep.", no_args_is_help=True)


@requests_app.command("escalate")
def escalate(
    now: str | None = typer.Option(None, help="Sweep as of this ISO-8601 time with zone (default: now)."),
) -> None:
    """Escalate every overdue request once (the system actor; the broken rule is the reason)."""
    settings = load_settings()
    try:
        install_append_keys(settings)  # the events are authenticated like the server's
        at = datetime.now(UTC) if now is None else datetime.fromisoformat(now)
        if at.tzinfo is None:
            raise ValueError("--now needs a zone, e.g. 2026-03-02T09:00:00+08:00")
    except (ConfigError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc

    async def run(dsn: str) -> int:
        pool = await create_pool(dsn, min_size=1, max_size=2)
        supervisor = Supervisor(dsn, pool, PROJECTIONS)
        try:
            await supervisor.start()
            head = await pool.fetchval("SELECT coalesce(max(position), 0) FROM events")
            await supervisor.wait_for(head, 60)
            handling = bootstrap.handling(settings, pool, lambda: at,
                                          fingerprint_key=bootstrap.fingerprint_key(signing_secret(settings)))
            return await sweep(pool, handling, at)
        finally:
            await supervisor.stop()
            await pool.close()

    escalated = with_database(run, settings)
    err.print(f"{escalated} request(s) escalated")
    typer.echo(escalated)


def register(app: typer.Typer) -> None:
    app.add_typer(requests_app, name="requests")
