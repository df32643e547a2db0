"""Email delivery jobs: one per queued email (deferred after commit) and a sweep."""

from __future__ import annotations

import uuid

from niha.jobs import JobContext, job
from niha.jobs.app import defer_after_commit
from niha.notifications.backends import backend_for
from niha.notifications.service import DELIVER_JOB, SWEEP_JOB, deliver_due

SWEEP_CRON = "* * * * *"  # every minute


@job(DELIVER_JOB, retry=3)
async def deliver_email(ctx: JobContext, *, email_id: str) -> None:
    report = await deliver_due(
        ctx.session, ctx.settings, backend_for(ctx.settings), email_id=uuid.UUID(email_id)
    )
    for retry_id, retry_at in report.retry_at.items():
        defer_after_commit(
            ctx.session,
            DELIVER_JOB,
            runtime=ctx.runtime,
            schedule_at=retry_at,
            email_id=str(retry_id),
        )


@job(SWEEP_JOB, cron=SWEEP_CRON)
async def email_sweep(ctx: JobContext, *, timestamp: int) -> None:
    await deliver_due(ctx.session, ctx.settings, backend_for(ctx.settings), limit=200)
