"""Funding's background jobs: clear AML holds whose time is up (every minute); expire
deposit announcements whose wire never came (every hour)."""

from __future__ import annotations

import structlog

from niha.funding import service
from niha.jobs.registry import JobContext, job

log = structlog.get_logger("niha.funding")

CLEAR_EXPIRED_HOLDS_CRON = "* * * * *"
EXPIRE_ANNOUNCEMENTS_CRON = "23 * * * *"


@job("funding.clear_expired_holds", cron=CLEAR_EXPIRED_HOLDS_CRON, retry=3)
async def clear_expired_holds(ctx: JobContext, *, timestamp: int) -> None:
    """Unflagged ACTIVE holds past their expiry -> CLEARED (``on_hold -> available``).
    Flagged holds wait for a person. Idempotent: a cleared hold is never cleared again."""
    cleared = await service.clear_expired_holds(ctx.session)
    if cleared:
        log.info("aml_holds_cleared", count=cleared)


@job("funding.expire_deposit_announcements", cron=EXPIRE_ANNOUNCEMENTS_CRON, retry=3)
async def expire_deposit_announcements(ctx: JobContext, *, timestamp: int) -> None:
    """PENDING deposits older than ``funding_deposit_announcement_days`` -> CANCELLED (no
    money moved; see :func:`service.expire_announcements`). Idempotent."""
    expired = await service.expire_announcements(ctx.session, ctx.settings)
    if expired:
        log.info("deposit_announcements_expired", count=expired)
