"""Funding's background job: clear AML holds whose time is up (every minute)."""

from __future__ import annotations

import structlog

from niha.funding import service
from niha.jobs.registry import JobContext, job

log = structlog.get_logger("niha.funding")

CLEAR_EXPIRED_HOLDS_CRON = "* * * * *"


@job("funding.clear_expired_holds", cron=CLEAR_EXPIRED_HOLDS_CRON, retry=3)
async def clear_expired_holds(ctx: JobContext, *, timestamp: int) -> None:
    """Unflagged ACTIVE holds past their expiry -> CLEARED (``on_hold -> available``).
    Flagged holds wait for a person. Idempotent: a cleared hold is never cleared again."""
    cleared = await service.clear_expired_holds(ctx.session)
    if cleared:
        log.info("aml_holds_cleared", count=cleared)
