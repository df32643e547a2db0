"""The ``niha`` command line."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from niha.config import get_settings
from niha.core.db import Database
from niha.core.embedded_pg import resolve_database_url

app = typer.Typer(help="Niha carbon-certificate trading venue", no_args_is_help=True)

T = TypeVar("T")


def database_url() -> str:
    settings = get_settings()
    return resolve_database_url(settings.database_url, settings.var_dir)


def run_with_db(fn: Callable[[Database], Awaitable[T]]) -> T:
    async def runner() -> T:
        db = Database(database_url(), pool_size=2, max_overflow=2)
        try:
            return await fn(db)
        finally:
            await db.dispose()

    return asyncio.run(runner())


@app.command()
def migrate() -> None:
    """Apply every database migration."""
    from niha.migrate import upgrade

    upgrade(database_url())
    typer.echo("database migrated")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="port (default: $PORT or 8000)")] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Serve the API and the web app."""
    import uvicorn

    from niha.config import check_production_secrets

    try:
        check_production_secrets(get_settings())
    except RuntimeError as exc:
        typer.echo(f"refusing to start: {exc}", err=True)
        raise typer.Exit(2) from exc
    # Resolve (and start, when embedded) the database once, for every worker process.
    os.environ["NIHA_DATABASE_URL"] = database_url()
    uvicorn.run(
        "niha.asgi:app",
        host=host,
        port=port or int(os.environ.get("PORT", "8000")),
        workers=workers,
        proxy_headers=True,
        log_level="warning",
        ws_ping_interval=None,
    )


@app.command()
def openapi(
    output: Annotated[str, typer.Option(help="file to write, '-' for stdout")] = "-",
) -> None:
    """Write the OpenAPI schema (the web client is generated from it)."""
    import json

    from niha.app import create_app
    from niha.config import Settings

    schema = create_app(
        Settings(env="test", secret_key="x" * 40, api_key_pepper="y" * 40)
    ).openapi()
    text = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    if output == "-":
        sys.stdout.write(text)
    else:
        from pathlib import Path

        Path(output).write_text(text)


@app.command("seed-demo")
def seed_demo() -> None:
    """Create the demo users and data (idempotent) and print the demo logins."""
    from niha.core.db import unit_of_work
    from niha.seed import DEMO_PASSWORD, seed

    async def run(db: Database) -> list[tuple[str, str, bool]]:
        async with unit_of_work(db.maker) as session:
            return await seed(session)

    created = run_with_db(run)
    typer.echo("Demo logins (password for all: " + DEMO_PASSWORD + "):")
    for email, label, new in created:
        typer.echo(f"  {label:<22} {email}{'  (created)' if new else ''}")


@app.command("verify-audit")
def verify_audit() -> None:
    """Check the audit log's hash chain; exit 1 naming the first broken row."""
    from niha.audit.service import verify_chain

    async def check(db: Database) -> int:
        async with db.maker() as session:
            count, broken = await verify_chain(session)
        if broken:
            typer.echo(
                f"audit chain BROKEN at seq {broken.seq} (id {broken.id}): {broken.reason}",
                err=True,
            )
            return 1
        typer.echo(f"audit chain OK: {count} rows verified")
        return 0

    raise typer.Exit(run_with_db(check))


def main() -> None:
    from niha import cli_commands  # noqa: F401  (registers the domain commands)

    app(prog_name="niha")


if __name__ == "__main__":
    # Under ``python -m`` this module runs as __main__; the domain commands register
    # on the importable ``niha.cli.app``, so run that one.
    from niha.cli import main as _main

    _main()
