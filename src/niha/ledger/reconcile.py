"""Daily reconciliation: prove the ledger's invariants from its own history.

For a (UTC) day D, in one consistent snapshot (REPEATABLE READ):

- per asset, the balances of all accounts sum to zero;
- each account's stored balance equals the sum of its transfers (credits - debits);
- no client bucket is negative;
- every transfer's accounts hold the transfer's asset; every batch has all its transfers;
- per account, opening (transfers before D) + credits - debits during D = closing, and
  the opening equals the closing recorded for D-1 when D-1 was reconciled after it
  ended; a day reconciled after it ended keeps its recorded figures, and a later run
  that finds different ones reports ``history_changed``.

The outcome is stored per day (``ledger_daily_reconciliation``, per-account figures
in ``ledger_daily_balance``); a failed run also raises a ``backoffice`` event.
Run by ``niha reconcile [--date D]`` and daily by the ``ledger.daily_reconciliation`` job.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from niha.core.clock import isoformat_z, utcnow
from niha.core.errors import NotFound, Unprocessable
from niha.core.events import emit
from niha.core.ids import new_id
from niha.core.money import format_amount
from niha.ledger import core
from niha.ledger.models import LedgerDailyBalance, LedgerDailyReconciliation
from niha.ledger.service import asset_scales


class DateInFuture(Unprocessable):
    code = "date_in_future"
    title = "Date in the future"


class ReconciliationNotFound(NotFound):
    code = "reconciliation_not_found"
    title = "No reconciliation for this date"


@dataclass(frozen=True)
class ReconciliationResult:
    day: date
    ran_at: datetime
    ok: bool
    accounts_checked: int
    transfers_checked: int
    discrepancies: list[dict[str, Any]]
    totals: list[dict[str, Any]]

    @classmethod
    def from_row(cls, row: LedgerDailyReconciliation) -> ReconciliationResult:
        return cls(
            day=row.day,
            ran_at=row.ran_at,
            ok=row.ok,
            accounts_checked=row.accounts_checked,
            transfers_checked=row.transfers_checked,
            discrepancies=list(row.discrepancies),
            totals=list(row.totals),
        )

    def report(self) -> str:
        """A readable report (the CLI prints it)."""
        lines = [
            f"ledger reconciliation for {self.day.isoformat()} "
            f"(ran {isoformat_z(self.ran_at)}): {'OK' if self.ok else 'FAILED'}",
            f"  {self.accounts_checked} accounts, {self.transfers_checked} transfers checked",
        ]
        for t in self.totals:
            lines.append(
                f"  {t['asset']}: opening {t['opening']}, debits {t['debits']}, "
                f"credits {t['credits']}, closing {t['closing']}, "
                f"sum of balances {t['balance_sum']}"
            )
        if self.discrepancies:
            lines.append(f"  {len(self.discrepancies)} discrepancies:")
            lines.extend(f"  - [{d['code']}] {d['message']}" for d in self.discrepancies)
        return "\n".join(lines)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


_FIGURES_SQL = text(
    """
    WITH legs AS (
        SELECT debit_account_id AS account_id, -amount AS delta, amount AS debit,
               0::bigint AS credit, created_at
        FROM ledger_transfer
        UNION ALL
        SELECT credit_account_id, amount, 0::bigint, amount, created_at
        FROM ledger_transfer
    ), sums AS (
        SELECT account_id,
               sum(delta) AS transfer_sum,
               sum(delta) FILTER (WHERE created_at < :start) AS opening,
               sum(debit) FILTER (WHERE created_at >= :start AND created_at < :end) AS debits,
               sum(credit) FILTER (WHERE created_at >= :start AND created_at < :end) AS credits
        FROM legs
        GROUP BY account_id
    )
    SELECT a.id, a.owner_type, a.owner_id, a.asset, a.bucket, a.balance,
           coalesce(s.transfer_sum, 0), coalesce(s.opening, 0),
           coalesce(s.debits, 0), coalesce(s.credits, 0)
    FROM ledger_account AS a
    LEFT JOIN sums AS s ON s.account_id = a.id
    ORDER BY a.id
    """
)

_BROKEN_TRANSFERS_SQL = text(
    """
    SELECT t.id, t.asset, d.asset, c.asset
    FROM ledger_transfer AS t
    JOIN ledger_account AS d ON d.id = t.debit_account_id
    JOIN ledger_account AS c ON c.id = t.credit_account_id
    WHERE d.asset <> t.asset OR c.asset <> t.asset
    ORDER BY t.id
    LIMIT 1000
    """
)

_BROKEN_BATCHES_SQL = text(
    """
    SELECT b.id, b.transfer_count, count(t.id)
    FROM ledger_batch AS b
    LEFT JOIN ledger_transfer AS t ON t.batch_id = b.id
    GROUP BY b.id, b.transfer_count
    HAVING count(t.id) <> b.transfer_count
    ORDER BY b.id
    LIMIT 1000
    """
)


async def _consistent_snapshot(session: AsyncSession) -> None:
    """Read everything from one snapshot, when this session has not started yet."""
    if not session.in_transaction():
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


async def _closed_figures(
    session: AsyncSession, day: date
) -> dict[uuid.UUID, core.DayFigures] | None:
    """The figures recorded for ``day`` by a run made after it ended, else ``None``."""
    ran_at = await session.scalar(
        select(LedgerDailyReconciliation.ran_at).where(LedgerDailyReconciliation.day == day)
    )
    if ran_at is None or ran_at < day_bounds(day)[1]:
        return None
    rows = (
        await session.scalars(select(LedgerDailyBalance).where(LedgerDailyBalance.day == day))
    ).all()
    return {r.account_id: core.DayFigures(r.opening, r.debits, r.credits, r.closing) for r in rows}


async def reconcile_day(session: AsyncSession, day: date) -> ReconciliationResult:
    """Check every invariant for ``day``, store the outcome and return it."""
    ran_at = utcnow()
    if day > ran_at.date():
        raise DateInFuture(f"{day.isoformat()} is in the future", field="date")
    await _consistent_snapshot(session)
    start, end = day_bounds(day)
    scales = await asset_scales(session)

    accounts = [
        core.AccountFigures(
            account_id=r[0],
            key=core.AccountKey(r[1], r[2], r[3], r[4]),
            balance=int(r[5]),
            transfer_sum=int(r[6]),
            opening=int(r[7]),
            debits=int(r[8]),
            credits=int(r[9]),
        )
        for r in (await session.execute(_FIGURES_SQL, {"start": start, "end": end})).all()
    ]
    transfers_checked = int(await session.scalar(text("SELECT count(*) FROM ledger_transfer")) or 0)
    broken_transfers = [
        (r[0], f"asset {r[1]} but debits a {r[2]} account and credits a {r[3]} account")
        for r in (await session.execute(_BROKEN_TRANSFERS_SQL)).all()
    ]
    broken_batches = [
        (r[0], int(r[1]), int(r[2])) for r in (await session.execute(_BROKEN_BATCHES_SQL)).all()
    ]
    previous = await _closed_figures(session, day - timedelta(days=1))
    recorded = await _closed_figures(session, day)

    found = core.reconcile(
        accounts,
        scales,
        previous_closing={k: v.closing for k, v in previous.items()}
        if previous is not None
        else None,
        recorded=recorded,
        broken_transfers=broken_transfers,
        broken_batches=broken_batches,
    )
    result = ReconciliationResult(
        day=day,
        ran_at=ran_at,
        ok=not found,
        accounts_checked=len(accounts),
        transfers_checked=transfers_checked,
        discrepancies=[d.as_dict(scales) for d in found],
        totals=_totals(accounts, scales),
    )
    await _store(session, result, accounts, keep_figures=recorded is not None)
    if not result.ok:
        await emit(
            session,
            "backoffice",
            "ledger.reconciliation_failed",
            {
                "date": day.isoformat(),
                "discrepancies": len(found),
                "first": result.discrepancies[0]["message"],
            },
        )
    return result


def _totals(accounts: list[core.AccountFigures], scales: Mapping[str, int]) -> list[dict[str, Any]]:
    sums: dict[str, dict[str, int]] = defaultdict(
        lambda: {"opening": 0, "debits": 0, "credits": 0, "closing": 0, "balance_sum": 0}
    )
    for a in accounts:
        s = sums[a.key.asset]
        s["opening"] += a.opening
        s["debits"] += a.debits
        s["credits"] += a.credits
        s["closing"] += a.closing
        s["balance_sum"] += a.balance
    return [
        {"asset": asset, **{k: format_amount(v, scales.get(asset, 0)) for k, v in s.items()}}
        for asset, s in sorted(sums.items())
    ]


async def _store(
    session: AsyncSession,
    result: ReconciliationResult,
    accounts: list[core.AccountFigures],
    *,
    keep_figures: bool,
) -> None:
    values = {
        "ran_at": result.ran_at,
        "ok": result.ok,
        "accounts_checked": result.accounts_checked,
        "transfers_checked": result.transfers_checked,
        "discrepancies": result.discrepancies,
        "totals": result.totals,
    }
    await session.execute(
        insert(LedgerDailyReconciliation)
        .values(id=new_id(), day=result.day, **values)
        .on_conflict_do_update(index_elements=["day"], set_=values)
    )
    if keep_figures:
        # The day was already reconciled after it ended: its figures are the reference.
        return
    await session.execute(delete(LedgerDailyBalance).where(LedgerDailyBalance.day == result.day))
    rows = [
        {
            "day": result.day,
            "account_id": a.account_id,
            "opening": a.opening,
            "debits": a.debits,
            "credits": a.credits,
            "closing": a.closing,
        }
        for a in accounts
        if a.opening or a.debits or a.credits
    ]
    for i in range(0, len(rows), 5000):
        await session.execute(insert(LedgerDailyBalance), rows[i : i + 5000])


async def get_reconciliation(session: AsyncSession, day: date | None) -> ReconciliationResult:
    """The stored outcome for ``day`` (the latest day when ``None``)."""
    stmt = select(LedgerDailyReconciliation)
    if day is None:
        stmt = stmt.order_by(LedgerDailyReconciliation.day.desc()).limit(1)
    else:
        stmt = stmt.where(LedgerDailyReconciliation.day == day)
    row = (await session.scalars(stmt)).first()
    if row is None:
        what = day.isoformat() if day else "any date"
        raise ReconciliationNotFound(f"no reconciliation has been run for {what}")
    return ReconciliationResult.from_row(row)
