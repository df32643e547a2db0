"""``niha reconcile [--date YYYY-MM-DD]``: check the ledger's invariants; exit 1 on any."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer

from niha.cli import app, run_with_db
from niha.core.db import Database, unit_of_work


async def run_reconcile(db: Database, day: date | None = None) -> int:
    """Reconcile ``day`` (default: yesterday, UTC) on ``db``; print the report; exit code."""
    from niha.core.clock import utcnow
    from niha.core.errors import DomainError
    from niha.ledger.reconcile import reconcile_day

    target = day or (utcnow().date() - timedelta(days=1))
    try:
        async with unit_of_work(db.maker) as session:
            result = await reconcile_day(session, target)
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        return 2
    typer.echo(result.report(), err=not result.ok)
    return 0 if result.ok else 1


@app.command("reconcile")
def reconcile(
    day: Annotated[
        str | None,
        typer.Option("--date", help="UTC day to reconcile, YYYY-MM-DD (default: yesterday)"),
    ] = None,
) -> None:
    """Check the ledger's invariants and store the day's figures; exit 1 on any violation."""
    parsed: date | None = None
    if day is not None:
        try:
            parsed = date.fromisoformat(day)
        except ValueError as exc:
            typer.echo(f"error: --date must be YYYY-MM-DD, not {day!r}", err=True)
            raise typer.Exit(2) from exc
    raise typer.Exit(run_with_db(lambda db: run_reconcile(db, parsed)))
