"""The ledger's background job: the daily reconciliation (00:15 UTC, for the day before)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from niha.jobs.registry import JobContext, job
from niha.ledger.reconcile import reconcile_day

log = structlog.get_logger("niha.ledger")

# A quarter of an hour after midnight, so transactions stamped before midnight have committed.
DAILY_RECONCILIATION_CRON = "15 0 * * *"


@job("ledger.daily_reconciliation", cron=DAILY_RECONCILIATION_CRON, retry=3)
async def daily_reconciliation(ctx: JobContext, *, timestamp: int) -> None:
    day = (datetime.fromtimestamp(timestamp, UTC) - timedelta(days=1)).date()
    result = await reconcile_day(ctx.session, day)
    if result.ok:
        log.info("ledger_reconciled", day=day.isoformat(), accounts=result.accounts_checked)
    else:
        log.error(
            "ledger_reconciliation_failed",
            day=day.isoformat(),
            discrepancies=result.discrepancies[:20],
        )
