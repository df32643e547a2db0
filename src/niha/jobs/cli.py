"""``niha worker``: run background jobs."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from niha.cli import app, database_url


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="jobs run at the same time in this process")
    ] = 4,
) -> None:
    """Run background jobs (a procrastinate worker) until SIGINT/SIGTERM."""
    from niha.config import get_settings
    from niha.runtime import run_worker_process

    asyncio.run(run_worker_process(get_settings(), database_url(), concurrency=concurrency))
