"""Platform jobs: the outbox relay and the idempotency-key purge (domains add their own)."""

from __future__ import annotations

import structlog

from niha.core.events import relay_unpublished
from niha.core.idempotency import purge_expired
from niha.jobs.registry import JobContext, job

log = structlog.get_logger("niha.jobs")

RELAY_CRON = "* * * * * */10"  # every 10 seconds (the trailing field is seconds)
PURGE_CRON = "7 * * * *"  # hourly


@job("core.relay_outbox", cron=RELAY_CRON)
async def relay_outbox(ctx: JobContext, *, timestamp: int) -> None:
    """Publish committed events a crashed process left unpublished."""
    count = await relay_unpublished(ctx.session)
    if count:
        log.info("outbox_relayed", count=count)


@job("core.purge_idempotency_keys", cron=PURGE_CRON)
async def purge_idempotency_keys(ctx: JobContext, *, timestamp: int) -> None:
    count = await purge_expired(ctx.session)
    if count:
        log.info("idempotency_keys_purged", count=count)
