"""The ledger's API for every domain: post transfers, move between buckets, read balances.

Nothing else writes the ledger tables. Amounts here are integers in the asset's minor
units (EUR cents, whole certificates); :mod:`niha.core.money` converts at the edges.

Posting a batch (one or more transfers that commit together or not at all):

1. lock the batch's accounts ``FOR NO KEY UPDATE`` in id order (one statement; missing
   accounts are created first) — a fixed order, so two batches never deadlock;
2. apply the pure rules (:mod:`niha.ledger.core`) to the locked balances — a client
   bucket that would go negative is refused with ``insufficient_funds``;
3. one statement writes the batch, its transfers and the balance deltas, unless one of
   the idempotency keys already exists (then nothing is written and the original batch
   is returned, or ``idempotency_conflict`` when the content differs);
4. one ``balances`` event per client entity touched (transactional outbox).

Functions take the caller's session and never commit. Keep one batch per transaction
where possible: locks taken by two separate batches of one transaction are not ordered
globally (wrap such units of work in :func:`niha.core.retry.retrying`).
"""

from __future__ import annotations

import operator
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import psycopg
from sqlalchemy import Select, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from niha.core import events
from niha.core.clock import utcnow
from niha.core.db import Database, Expectation, driver_connection, send, send_expectations
from niha.core.errors import Conflict, DomainError, NotFound, Unprocessable
from niha.core.events import EmittedEvent, emit
from niha.core.ids import new_id
from niha.core.money import format_amount
from niha.core.pagination import PageParams, build_page, keyset_page
from niha.core.pipeline import Statements
from niha.ledger import core
from niha.ledger.core import (
    CLIENT_BUCKETS,
    PLATFORM_BUCKETS,
    AccountKey,
    AssetBalance,
    Bucket,
    OwnerType,
    TransferRequest,
)
from niha.ledger.models import LedgerAccount, LedgerAsset, LedgerTransfer

__all__ = [
    "CLIENT_BUCKETS",
    "PLATFORM_BUCKETS",
    "AccountFilter",
    "AccountKey",
    "AssetBalance",
    "Bucket",
    "IdempotencyConflictError",
    "InsufficientFundsError",
    "InvalidTransferError",
    "OwnerType",
    "PostedBatch",
    "PostedTransfer",
    "TransferFilter",
    "TransferRequest",
    "account_balance",
    "asset_scales",
    "balances",
    "integrity_error",
    "list_accounts",
    "list_transfers",
    "move",
    "open_accounts",
    "open_balances",
    "post_batch",
    "reverse",
    "scale_of",
    "send_read_balances",
    "stage_batch",
    "submit",
    "transfer",
]

BALANCES_CHANNEL = "balances"
BALANCES_EVENT = "balances.updated"

# --------------------------------------------------------------------------- errors


class InsufficientFundsError(Unprocessable):
    code = "insufficient_funds"
    title = "Insufficient funds"


class IdempotencyConflictError(Conflict):
    code = "idempotency_conflict"
    title = "Idempotency key already used"


class InvalidTransferError(Unprocessable):
    code = "invalid_transfer"
    title = "Invalid transfer"


class BalanceOutOfRangeError(Unprocessable):
    code = "balance_out_of_range"
    title = "Balance out of range"


class UnknownAsset(Unprocessable):
    code = "unknown_asset"
    title = "Unknown asset"


class TransferNotFound(NotFound):
    code = "transfer_not_found"
    title = "Transfer not found"


_ERRORS: dict[str, type[DomainError]] = {
    core.InsufficientFunds.code: InsufficientFundsError,
    core.IdempotencyConflict.code: IdempotencyConflictError,
    core.InvalidTransfer.code: InvalidTransferError,
    core.BalanceOutOfRange.code: BalanceOutOfRangeError,
}


def domain_error(exc: core.LedgerError) -> DomainError:
    cls = _ERRORS.get(exc.code, Unprocessable)
    return cls(exc.message, code=exc.code, **exc.extra)


# --------------------------------------------------------------------------- assets

_scales: dict[str, int] = {}


async def asset_scales(session: AsyncSession, need: Iterable[str] = ()) -> Mapping[str, int]:
    """Asset code -> scale (decimals), cached per process; reloaded for an unknown code."""
    if not _scales or any(code not in _scales for code in need):
        rows = (await session.execute(select(LedgerAsset.code, LedgerAsset.scale))).all()
        _scales.clear()
        _scales.update({code: scale for code, scale in rows})
    return _scales


async def _asset_scales_raw(driver: Any, need: Iterable[str] = ()) -> Mapping[str, int]:
    """:func:`asset_scales` on a psycopg connection."""
    if not _scales or any(code not in _scales for code in need):
        rows = await _raw(driver, "SELECT code, scale FROM ledger_asset", {})
        _scales.clear()
        _scales.update({code: scale for code, scale in rows})
    return _scales


async def scale_of(session: AsyncSession, asset: str) -> int:
    scales = await asset_scales(session, [asset])
    if asset not in scales:
        raise UnknownAsset(f"unknown asset {asset!r}", field="asset")
    return scales[asset]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PostedTransfer:
    id: uuid.UUID
    batch_id: uuid.UUID
    debit: AccountKey
    credit: AccountKey
    debit_account_id: uuid.UUID
    credit_account_id: uuid.UUID
    asset: str
    amount: int
    kind: str
    key: str
    reference_type: str | None
    reference_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class PostedBatch:
    id: uuid.UUID
    created_at: datetime
    transfers: tuple[PostedTransfer, ...]
    #: True when this call repeated an earlier batch (same keys, same content): nothing
    #: was written and ``transfers`` are the originals.
    replayed: bool
    #: Balances after the batch of every account it touched (empty for a replay).
    balances: Mapping[AccountKey, int]


# --------------------------------------------------------------------------- SQL

# The posting path runs on the session's own psycopg connection (same transaction), as
# plain prepared statements: the ORM's per-statement overhead would dominate otherwise.
_LOCK_SQL = """
    SELECT a.id, a.owner_type, a.owner_id, a.asset, a.bucket, a.balance
    FROM ledger_account AS a
    JOIN unnest(%(owner_types)b::text[], %(owner_ids)b::uuid[],
                %(assets)b::text[], %(buckets)b::text[])
         AS k(owner_type, owner_id, asset, bucket)
      ON a.owner_type = k.owner_type AND a.owner_id = k.owner_id
     AND a.asset = k.asset AND a.bucket = k.bucket
    ORDER BY a.id
    FOR NO KEY UPDATE OF a
"""

# The same accounts read, not locked: for a caller that decides on them and then has the
# ledger lock every account of its batch at once and check them (``stage_batch(expect=)``).
_READ_SQL = _LOCK_SQL.replace("FOR NO KEY UPDATE OF a", "")

_CREATE_SQL = """
    INSERT INTO ledger_account
        (id, owner_type, owner_id, asset, bucket, balance, created_at, updated_at)
    SELECT k.id, k.owner_type, k.owner_id, k.asset, k.bucket, 0,
           %(now)s::timestamptz, %(now)s::timestamptz
    FROM unnest(%(ids)b::uuid[], %(owner_types)b::text[], %(owner_ids)b::uuid[],
                %(assets)b::text[], %(buckets)b::text[])
         AS k(id, owner_type, owner_id, asset, bucket)
    ON CONFLICT (owner_type, owner_id, asset, bucket) DO NOTHING
"""

# One round trip: unless a key exists already, insert the batch, its transfers and
# apply the balance deltas; report whether a key existed (then nothing was written).
_WRITE_SQL = """
    WITH dup AS (
        SELECT 1 FROM ledger_transfer
        WHERE idempotency_key = ANY(%(keys)b::text[])
        LIMIT 1
    ), b AS (
        INSERT INTO ledger_batch (id, transfer_count, created_at)
        SELECT %(batch_id)s::uuid, %(n)s::integer, %(now)s::timestamptz
        WHERE NOT EXISTS (SELECT 1 FROM dup)
        RETURNING id
    ), t AS (
        INSERT INTO ledger_transfer
            (id, batch_id, debit_account_id, credit_account_id, asset, amount, kind,
             reference_type, reference_id, idempotency_key, created_at)
        SELECT v.id, b.id, v.debit, v.credit, v.asset, v.amount, v.kind,
               v.reference_type, v.reference_id, v.key, %(now)s::timestamptz
        FROM b, unnest(%(t_ids)b::uuid[], %(t_debits)b::uuid[], %(t_credits)b::uuid[],
                       %(t_assets)b::text[], %(t_amounts)b::bigint[], %(t_kinds)b::text[],
                       %(t_reference_types)b::text[], %(t_reference_ids)b::text[],
                       %(keys)b::text[])
             AS v(id, debit, credit, asset, amount, kind, reference_type, reference_id, key)
        RETURNING 1
    ), u AS (
        UPDATE ledger_account AS a
        SET balance = a.balance + v.delta, updated_at = %(now)s::timestamptz
        FROM b, unnest(%(a_ids)b::uuid[], %(a_deltas)b::bigint[]) AS v(id, delta)
        WHERE a.id = v.id
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM dup) AS duplicate
"""


# The same two statements for the common case (one transfer, hence two accounts) with
# scalar parameters: cheaper to bind than arrays.
_LOCK_PAIR_SQL = """
    SELECT a.id, a.owner_type, a.owner_id, a.asset, a.bucket, a.balance
    FROM ledger_account AS a
    WHERE (a.owner_type, a.owner_id, a.asset, a.bucket) IN (
        (%(t0)s::text, %(o0)s::uuid, %(a0)s::text, %(b0)s::text),
        (%(t1)s::text, %(o1)s::uuid, %(a1)s::text, %(b1)s::text))
    ORDER BY a.id
    FOR NO KEY UPDATE OF a
"""

_WRITE_ONE_SQL = """
    WITH dup AS (
        SELECT 1 FROM ledger_transfer WHERE idempotency_key = %(key)s::text
    ), b AS (
        INSERT INTO ledger_batch (id, transfer_count, created_at)
        SELECT %(batch_id)s::uuid, 1, %(now)s::timestamptz
        WHERE NOT EXISTS (SELECT 1 FROM dup)
        RETURNING id
    ), t AS (
        INSERT INTO ledger_transfer
            (id, batch_id, debit_account_id, credit_account_id, asset, amount, kind,
             reference_type, reference_id, idempotency_key, created_at)
        SELECT %(id)s::uuid, b.id, %(debit)s::uuid, %(credit)s::uuid, %(asset)s::text,
               %(amount)s::bigint, %(kind)s::text, %(reference_type)s::text,
               %(reference_id)s::text, %(key)s::text, %(now)s::timestamptz
        FROM b
        RETURNING 1
    ), u AS (
        UPDATE ledger_account AS a
        SET balance = a.balance + CASE WHEN a.id = %(debit)s::uuid
                                       THEN -%(amount)s::bigint ELSE %(amount)s::bigint END,
            updated_at = %(now)s::timestamptz
        FROM b
        WHERE a.id IN (%(debit)s::uuid, %(credit)s::uuid)
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM dup) AS duplicate
"""


async def _raw(
    driver: Any, query: str, params: Mapping[str, Any], *, fetch: bool = True
) -> list[tuple[Any, ...]]:
    """Run ``query``; its rows when ``fetch`` (also in pipeline mode, see the writer)."""
    async with driver.cursor() as cursor:
        await cursor.execute(query, params)
        rows: list[tuple[Any, ...]] = await cursor.fetchall() if fetch else []
        return rows


_EXISTING_SQL = """
    SELECT t.id, t.batch_id, t.amount, t.asset, t.kind, t.reference_type, t.reference_id,
           t.idempotency_key, t.created_at, t.debit_account_id, t.credit_account_id,
           d.owner_type, d.owner_id, d.asset, d.bucket,
           c.owner_type, c.owner_id, c.asset, c.bucket,
           b.transfer_count, b.created_at
    FROM ledger_transfer AS t
    JOIN ledger_account AS d ON d.id = t.debit_account_id
    JOIN ledger_account AS c ON c.id = t.credit_account_id
    JOIN ledger_batch AS b ON b.id = t.batch_id
    WHERE {where}
    ORDER BY t.id
"""
_EXISTING_BY_KEYS = _EXISTING_SQL.format(where="t.idempotency_key = ANY(%(keys)b::text[])")
_EXISTING_BY_BATCH = _EXISTING_SQL.format(where="t.batch_id = %(batch_id)s::uuid")
_EXISTING_BY_ID = _EXISTING_SQL.format(where="t.id = %(transfer_id)s::uuid")


def _key_columns(keys: Sequence[AccountKey]) -> dict[str, Any]:
    return {
        "owner_types": [k.owner_type for k in keys],
        "owner_ids": [k.owner_id for k in keys],
        "assets": [k.asset for k in keys],
        "buckets": [k.bucket for k in keys],
    }


class AccountState(NamedTuple):
    """An account as a transaction saw it: its id (it never changes) and its balance.
    (A tuple: a group of orders makes ~30 of them.)"""

    id: uuid.UUID
    balance: int


def _states(rows: Iterable[Any]) -> dict[AccountKey, AccountState]:
    """Accounts as :data:`_LOCK_SQL` and :data:`_READ_SQL` return them."""
    return {AccountKey.of(r[1], r[2], r[3], r[4]): AccountState(r[0], r[5]) for r in rows}


async def _lock(driver: Any, keys: Sequence[AccountKey]) -> dict[AccountKey, AccountState]:
    if len(keys) == 2:
        params = {
            f"{name}{i}": value
            for i, k in enumerate(keys)
            for name, value in (
                ("t", k.owner_type),
                ("o", k.owner_id),
                ("a", k.asset),
                ("b", k.bucket),
            )
        }
        rows = await _raw(driver, _LOCK_PAIR_SQL, params)
    else:
        rows = await _raw(driver, _LOCK_SQL, _key_columns(keys))
    return _states(rows)


async def _create_accounts(driver: Any, keys: Sequence[AccountKey]) -> None:
    ordered = sorted(keys)  # one insertion order everywhere: no deadlock on the unique index
    params = _key_columns(ordered)
    params["ids"] = [new_id() for _ in ordered]
    params["now"] = utcnow()
    await _raw(driver, _CREATE_SQL, params, fetch=False)


async def _lock_accounts(driver: Any, keys: Sequence[AccountKey]) -> dict[AccountKey, AccountState]:
    locked = await _lock(driver, keys)
    if len(locked) < len(keys):
        await _create_accounts(driver, [k for k in keys if k not in locked])
        locked = await _lock(driver, keys)
    return locked


def _posted_from_row(r: Any) -> tuple[PostedTransfer, int, datetime]:
    posted = PostedTransfer(
        id=r[0],
        batch_id=r[1],
        amount=r[2],
        asset=r[3],
        kind=r[4],
        reference_type=r[5],
        reference_id=r[6],
        key=r[7],
        created_at=r[8],
        debit_account_id=r[9],
        credit_account_id=r[10],
        debit=AccountKey(r[11], r[12], r[13], r[14]),
        credit=AccountKey(r[15], r[16], r[17], r[18]),
    )
    return posted, r[19], r[20]


def _request_of(p: PostedTransfer) -> TransferRequest:
    return TransferRequest(
        debit=p.debit,
        credit=p.credit,
        amount=p.amount,
        kind=p.kind,
        key=p.key,
        reference_type=p.reference_type,
        reference_id=p.reference_id,
    )


async def _existing(driver: Any, keys: Sequence[str]) -> list[core.ExistingTransfer]:
    """The transfers already posted under any of ``keys``."""
    existing = []
    for r in await _raw(driver, _EXISTING_BY_KEYS, {"keys": list(keys)}):
        posted, size, _ = _posted_from_row(r)
        existing.append(core.ExistingTransfer(_request_of(posted), posted.batch_id, size))
    return existing


async def _original(driver: Any, batch_id: uuid.UUID) -> PostedBatch:
    """A posted batch as a replay returns it."""
    rows = await _raw(driver, _EXISTING_BY_BATCH, {"batch_id": batch_id})
    originals = [_posted_from_row(r) for r in rows]
    return PostedBatch(
        id=batch_id,
        created_at=originals[0][2],
        transfers=tuple(p for p, _, _ in originals),
        replayed=True,
        balances={},
    )


async def _replay(
    session: AsyncSession, transfers: Sequence[TransferRequest]
) -> PostedBatch | None:
    """The original batch when ``transfers`` repeat it exactly; ``None`` when all keys are new."""
    driver = await driver_connection(session)
    existing = await _existing(driver, [t.key for t in transfers])
    try:
        batch_id = core.classify_resubmission(transfers, existing)
    except core.LedgerError as exc:
        raise domain_error(exc) from None
    if batch_id is None:
        return None
    return await _original(driver, batch_id)


# --------------------------------------------------------------------------- posting


_Plan = tuple[
    list[TransferRequest],
    Mapping[str, int],
    list[AccountKey],
    Any,
    dict[AccountKey, AccountState],
    dict[AccountKey, int],
]


async def _plan(
    session: AsyncSession,
    transfers: Sequence[TransferRequest],
    expect: Mapping[AccountKey, int] | None = None,
) -> _Plan | PostedBatch:
    """Validate a batch, lock its accounts -- and those of ``expect`` -- in id order
    (creating missing ones) and apply the rules: (transfers, scales, keys, driver, locked,
    balances after), or -- for an exact resubmission -- the original batch (a no-op even
    when the balances have moved on since).

    ``expect``: balances the caller decided the batch on (``stage_batch``'s); each locked
    balance must be at least that (:class:`BalanceMoved` otherwise, before the rules).

    Every account is locked by one statement: a transaction that holds some accounts and
    then asks for more could deadlock with another doing the same in another order."""
    transfers = list(transfers)
    scales = await asset_scales(session, {t.debit.asset for t in transfers})
    try:
        core.validate_batch(transfers, scales)
    except core.LedgerError as exc:
        raise domain_error(exc) from None
    keys = sorted({k for t in transfers for k in (t.debit, t.credit)})
    driver = await driver_connection(session)
    expect = expect or {}
    locked = await _lock_accounts(driver, sorted({*keys, *expect}))
    if any(locked[k].balance < v for k, v in expect.items()):
        raise BalanceMoved("a balance is lower than when it was read")
    try:
        after = core.apply_batch({k: a.balance for k, a in locked.items()}, transfers, scales)
    except core.LedgerError as exc:
        original = await _replay(session, transfers)
        if original is not None:
            return original
        raise domain_error(exc) from None
    return transfers, scales, keys, driver, locked, after


async def post_batch(session: AsyncSession, transfers: Sequence[TransferRequest]) -> PostedBatch:
    """Post ``transfers`` atomically (all or none), in order. See the module docstring."""
    planned = await _plan(session, transfers)
    if isinstance(planned, PostedBatch):
        return planned
    transfers, scales, keys, driver, locked, after = planned

    batch_id = new_id()
    now = utcnow()
    ids = [new_id() for _ in transfers]
    deltas = core.net_changes(transfers)
    changed = [k for k in keys if deltas.get(k, 0) != 0]
    try:
        duplicate = await _write(driver, transfers, locked, batch_id, ids, now, changed, deltas)
    except psycopg.errors.IntegrityError as exc:
        raise _integrity_error(exc) from None
    if duplicate:
        original = await _replay(session, transfers)
        if original is None:  # pragma: no cover - a key existed a moment ago
            raise IdempotencyConflictError("an idempotency key of this batch is already used")
        return original

    account_ids = {k: a.id for k, a in locked.items()}
    posted = posted_transfers(transfers, ids, batch_id, account_ids, now)
    await _emit_balance_events(session, batch_id, after, changed, scales)
    return PostedBatch(
        id=batch_id, created_at=now, transfers=posted, replayed=False, balances=after
    )


def posted_transfers(
    transfers: Sequence[TransferRequest],
    ids: Sequence[uuid.UUID],
    batch_id: uuid.UUID,
    account_ids: Mapping[AccountKey, uuid.UUID],
    now: datetime,
) -> tuple[PostedTransfer, ...]:
    """The posted form of a batch's transfers (``ids``: theirs; ``account_ids``: the
    accounts')."""
    return tuple(
        PostedTransfer(
            id=transfer_id,
            batch_id=batch_id,
            debit=t.debit,
            credit=t.credit,
            debit_account_id=account_ids[t.debit],
            credit_account_id=account_ids[t.credit],
            asset=t.debit.asset,
            amount=t.amount,
            kind=t.kind,
            key=t.key,
            reference_type=t.reference_type,
            reference_id=t.reference_id,
            created_at=now,
        )
        for transfer_id, t in zip(ids, transfers, strict=True)
    )


def _batch_params(
    transfers: Sequence[TransferRequest],
    locked: Mapping[AccountKey, AccountState],
    batch_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    now: datetime,
    changed: Sequence[AccountKey],
    deltas: Mapping[AccountKey, int],
) -> dict[str, Any]:
    """The parameters of a batch's write (batch, transfers, balance deltas), one array
    per column: ``_WRITE_SQL`` and ``_STAGE_SQL`` take the same."""
    return {
        "keys": [t.key for t in transfers],
        "batch_id": batch_id,
        "n": len(transfers),
        "now": now,
        "t_ids": list(ids),
        "t_debits": [locked[t.debit].id for t in transfers],
        "t_credits": [locked[t.credit].id for t in transfers],
        "t_assets": [t.debit.asset for t in transfers],
        "t_amounts": [t.amount for t in transfers],
        "t_kinds": [t.kind for t in transfers],
        "t_reference_types": [t.reference_type for t in transfers],
        "t_reference_ids": [t.reference_id for t in transfers],
        "a_ids": [locked[k].id for k in changed],
        "a_deltas": [deltas[k] for k in changed],
    }


async def _write(
    driver: Any,
    transfers: Sequence[TransferRequest],
    locked: Mapping[AccountKey, AccountState],
    batch_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    now: datetime,
    changed: Sequence[AccountKey],
    deltas: Mapping[AccountKey, int],
) -> bool:
    """Write the batch in one statement; ``True`` (nothing written) when a key exists."""
    if len(transfers) == 1:
        [t] = transfers
        params: dict[str, Any] = {
            "key": t.key,
            "batch_id": batch_id,
            "now": now,
            "id": ids[0],
            "debit": locked[t.debit].id,
            "credit": locked[t.credit].id,
            "asset": t.debit.asset,
            "amount": t.amount,
            "kind": t.kind,
            "reference_type": t.reference_type,
            "reference_id": t.reference_id,
        }
        [(duplicate,)] = await _raw(driver, _WRITE_ONE_SQL, params)
        return bool(duplicate)
    params = _batch_params(transfers, locked, batch_id, ids, now, changed, deltas)
    [(duplicate,)] = await _raw(driver, _WRITE_SQL, params)
    return bool(duplicate)


def _integrity_error(exc: psycopg.errors.IntegrityError) -> DomainError:
    constraint = exc.diag.constraint_name or ""
    if "idempotency_key" in constraint:
        return IdempotencyConflictError(
            "an idempotency key of this batch was used concurrently by another batch"
        )
    if "client_nonnegative" in constraint:
        return InsufficientFundsError("a client bucket would go negative")
    return InvalidTransferError("the ledger refused the batch")


async def _emit_balance_events(
    session: AsyncSession,
    batch_id: uuid.UUID,
    after: Mapping[AccountKey, int],
    changed: Sequence[AccountKey],
    scales: Mapping[str, int],
) -> None:
    await emit_balance_events(session, [(batch_id, changed)], after, scales)


async def emit_balance_events(
    session: AsyncSession,
    batches: Sequence[tuple[uuid.UUID, Iterable[AccountKey]]],
    after: Mapping[AccountKey, int],
    scales: Mapping[str, int],
) -> None:
    for owner_id, data in balance_events(batches, after, scales):
        await emit(session, BALANCES_CHANNEL, BALANCES_EVENT, data, entity_id=owner_id)


def balance_events(
    batches: Sequence[tuple[uuid.UUID, Iterable[AccountKey]]],
    after: Mapping[AccountKey, int],
    scales: Mapping[str, int],
) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    """One ``balances`` event per client entity touched by ``batches`` (posted in this
    order; ``after``: the balances after the last): ``{entity_id, batch_id, changes}``,
    ``batch_id`` being the last batch that touched the entity, plus ``batch_ids`` (all of
    them, in order) when several batches are coalesced into one event."""
    keys_of: dict[uuid.UUID, set[AccountKey]] = defaultdict(set)
    batches_of: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for batch_id, changed in batches:
        for key in changed:
            if key.is_client:
                keys_of[key.owner_id].add(key)
                ids = batches_of[key.owner_id]
                if not ids or ids[-1] != batch_id:
                    ids.append(batch_id)
    out = []
    for owner_id in sorted(keys_of):
        ids = batches_of[owner_id]
        data: dict[str, Any] = {"entity_id": str(owner_id), "batch_id": str(ids[-1])}
        if len(ids) > 1:
            data["batch_ids"] = [str(i) for i in ids]
        data["changes"] = [
            {
                "asset": key.asset,
                "bucket": key.bucket,
                "balance": format_amount(after[key], scales[key.asset]),
            }
            for key in sorted(keys_of[owner_id])
        ]
        out.append((owner_id, data))
    return out


async def submit(db: Database, transfers: Sequence[TransferRequest]) -> PostedBatch:
    """Post a standalone batch (all or none) and return once it is durable.

    The documented way to post transfers that are a unit of work of their own: the
    batch joins the group commit of ``db``'s ledger writer (:mod:`niha.ledger.writer`),
    which posts everything submitted meanwhile in one transaction. Same outcome as
    :func:`post_batch` in a transaction of its own: a :class:`PostedBatch` (``replayed``
    for an exact resubmission) or the domain error of this batch alone
    (``insufficient_funds``, ``idempotency_conflict``, ``invalid_transfer``, ...);
    ``ledger_unavailable`` when the database failed (then nothing was written). Use
    :func:`post_batch` instead inside a unit of work that writes other things too.
    """
    from niha.ledger.writer import writer_for  # the writer builds on this module

    return await writer_for(db).submit(transfers)


async def transfer(
    session: AsyncSession,
    debit: AccountKey,
    credit: AccountKey,
    amount: int,
    *,
    kind: str,
    key: str,
    reference_type: str | None = None,
    reference_id: str | None = None,
) -> PostedBatch:
    """Post one transfer of ``amount`` minor units from ``debit`` to ``credit``."""
    return await post_batch(
        session,
        [TransferRequest(debit, credit, amount, kind, key, reference_type, reference_id)],
    )


async def move(
    session: AsyncSession,
    owner: uuid.UUID,
    asset: str,
    from_bucket: str,
    to_bucket: str,
    amount: int,
    *,
    kind: str,
    key: str,
    reference_type: str | None = None,
    reference_id: str | None = None,
) -> PostedBatch:
    """Move ``amount`` between two buckets of one entity (e.g. available -> reserved)."""
    return await transfer(
        session,
        AccountKey.entity(owner, asset, from_bucket),
        AccountKey.entity(owner, asset, to_bucket),
        amount,
        kind=kind,
        key=key,
        reference_type=reference_type,
        reference_id=reference_id,
    )


async def reverse(
    session: AsyncSession,
    transfer_id: uuid.UUID,
    *,
    key: str | None = None,
    kind: str = "reversal",
) -> PostedBatch:
    """Post the opposite of a transfer (a correction never edits the original).

    The default key makes a transfer reversible once; reversing again is a no-op.
    """
    rows = await _raw(
        await driver_connection(session), _EXISTING_BY_ID, {"transfer_id": transfer_id}
    )
    if not rows:
        raise TransferNotFound(f"transfer {transfer_id} does not exist")
    original, _, _ = _posted_from_row(rows[0])
    return await transfer(
        session,
        original.credit,
        original.debit,
        original.amount,
        kind=kind,
        key=key or f"reversal:{transfer_id}",
        reference_type="transfer",
        reference_id=str(transfer_id),
    )


async def open_accounts(
    session: AsyncSession, owner: uuid.UUID, assets: Iterable[str] | None = None
) -> None:
    """Create an entity's client accounts ahead of use (idempotent).

    Posting creates missing accounts lazily; opening them when the entity is created
    keeps account creation off the trading path.
    """
    codes = list(assets) if assets is not None else sorted(await asset_scales(session))
    keys = [AccountKey.entity(owner, code, bucket) for code in codes for bucket in CLIENT_BUCKETS]
    await _create_accounts(await driver_connection(session), keys)


async def open_balances(
    session: AsyncSession, keys: Iterable[AccountKey]
) -> dict[AccountKey, AccountState]:
    """Read ``keys`` (missing accounts created), without locking them.

    For a caller that decides on balances before it can build its batch (the exchange's
    sequencer checks a whole group of orders against the funds it read): it then hands
    them to :func:`stage_batch` as ``expect``, which locks every account of the batch at
    once and fails unless each still holds at least that."""
    ordered = sorted(set(keys))
    driver = await driver_connection(session)
    found = await _read(driver, ordered)
    if len(found) < len(ordered):
        await _create_accounts(driver, [k for k in ordered if k not in found])
        found = await _read(driver, ordered)
    return found


async def _read(driver: Any, keys: Sequence[AccountKey]) -> dict[AccountKey, AccountState]:
    rows = await _raw(driver, _READ_SQL, _key_columns(keys))
    return _states(rows)


# --------------------------------------------------------------------------- pipelining
#
# For a caller that runs its transaction in psycopg's pipeline mode (the exchange's group
# of orders): it sends its own reads together with the balance lock, and sends the batch's
# write together with its own writes and COMMIT -- one round trip each instead of one per
# statement. The ledger still writes its own tables and applies its own rules.


class PendingBalances:
    """The read of :func:`send_read_balances`, sent; :meth:`result` reads it."""

    def __init__(self, cursor: Any, keys: Sequence[AccountKey]) -> None:
        self._cursor = cursor
        self.keys = keys

    async def result(self) -> tuple[dict[AccountKey, AccountState], list[AccountKey]]:
        """The accounts that exist, and the keys that do not."""
        try:
            rows = await self._cursor.fetchall()
        finally:
            await self._cursor.close()
        found = _states(rows)
        return found, [k for k in self.keys if k not in found]


async def send_read_balances(session: AsyncSession, keys: Iterable[AccountKey]) -> PendingBalances:
    """:func:`open_balances`'s read (no lock), sent but not read.

    In pipeline mode it travels with the caller's other statements. It creates no
    account: :meth:`PendingBalances.result` names the missing ones, for
    :func:`open_balances` (which creates them) when the caller needs them.
    """
    ordered = sorted(set(keys))
    cursor = (await driver_connection(session)).cursor()
    await cursor.execute(_READ_SQL, _key_columns(ordered))
    return PendingBalances(cursor, ordered)


@dataclass(frozen=True)
class StagedBatch:
    """A batch whose write :func:`stage_batch` sent; durable once the caller commits."""

    id: uuid.UUID
    #: The balances after the batch of every account it touched (empty for a replay).
    balances: Mapping[AccountKey, int]
    #: Its ``balances`` events, written by the same statement: the caller publishes
    #: them after its commit (:func:`niha.core.events.publish`) and marks them published.
    events: list[EmittedEvent]
    #: The accounts it touched as they stand after it (id and balance; empty for a
    #: replay): what a caller remembers for its next batch (``known``).
    accounts: Mapping[AccountKey, AccountState] = field(default_factory=dict)


# The write of a staged batch: no duplicate check (every key must be new: an existing one
# fails the statement, and with it the caller's transaction), the balance deltas and the
# batch's ``balances`` outbox events in the same statement.
_STAGE_SQL = """
    WITH b AS (
        INSERT INTO ledger_batch (id, transfer_count, created_at)
        VALUES (%(batch_id)s::uuid, %(n)s::integer, %(now)s::timestamptz)
    ), t AS (
        INSERT INTO ledger_transfer
            (id, batch_id, debit_account_id, credit_account_id, asset, amount, kind,
             reference_type, reference_id, idempotency_key, created_at)
        SELECT v.id, %(batch_id)s::uuid, v.debit, v.credit, v.asset, v.amount, v.kind,
               v.reference_type, v.reference_id, v.key, %(now)s::timestamptz
        FROM unnest(%(t_ids)b::uuid[], %(t_debits)b::uuid[], %(t_credits)b::uuid[],
                    %(t_assets)b::text[], %(t_amounts)b::bigint[], %(t_kinds)b::text[],
                    %(t_reference_types)b::text[], %(t_reference_ids)b::text[],
                    %(keys)b::text[])
             AS v(id, debit, credit, asset, amount, kind, reference_type, reference_id, key)
    ), u AS (
        UPDATE ledger_account AS a
        SET balance = a.balance + v.delta, updated_at = %(now)s::timestamptz
        FROM unnest(%(a_ids)b::uuid[], %(a_deltas)b::bigint[]) AS v(id, delta)
        WHERE a.id = v.id
    )
    """ + events.outbox_insert_sql("events")

# Remembered accounts: the lock by id (id order, as every lock of accounts), then -- in a
# statement of its own, whose snapshot is taken once the locks are held -- the check
# that the client accounts hold the balances remembered (``niha_expect``: a serialization
# failure otherwise, so nothing is written and the caller runs again).
_LOCK_BY_ID_SQL = (
    "SELECT 1 FROM ledger_account WHERE id = ANY(%(ids)b::uuid[]) ORDER BY id FOR NO KEY UPDATE"
)
_SAME_BALANCES = """(
    SELECT count(*) FROM ledger_account AS a
    JOIN unnest(%(ids)s::uuid[], %(balances)s::bigint[]) AS e(id, balance)
      ON a.id = e.id AND a.balance = e.balance
) = %(n)s::bigint"""


async def send_expect_balances(
    session: AsyncSession,
    known: Mapping[AccountKey, AccountState],
    expect: Mapping[AccountKey, int],
    keys: Iterable[AccountKey] = (),
    *,
    via: Statements | None = None,
) -> None:
    """Lock ``keys`` and ``expect``'s accounts (ids from ``known``) and check, in the
    caller's transaction, that each of ``expect`` holds its balance; sent, not read
    (added to ``via`` when given, for the caller's own round trip).

    For a caller that decided on balances it remembered instead of locked ones (the
    exchange's groups of orders): if one moved, the caller's transaction fails with a
    serialization failure (SQLSTATE 40001) at its commit, and nothing of it is written.
    """
    driver = via if via is not None else await driver_connection(session)
    await _send_expect(driver, known, expect, keys)


async def _send_expect(
    driver: Any,
    known: Mapping[AccountKey, AccountState],
    expect: Mapping[AccountKey, int],
    keys: Iterable[AccountKey],
) -> None:
    # Distinct keys are distinct accounts; ordered by id (compared as integers).
    ids = sorted([known[k].id for k in {*expect, *keys}], key=_UUID_ORDER)
    await send(driver, _LOCK_BY_ID_SQL, {"ids": ids})
    if expect:
        params = {
            "n": len(expect),
            "ids": [known[k].id for k in expect],
            "balances": list(expect.values()),
        }
        await send_expectations(driver, [Expectation(_SAME_BALANCES, params, "a ledger balance")])


_UUID_ORDER = operator.attrgetter("int")


class BalanceMoved(DomainError):
    """An account's balance is not the one its caller decided on (run it again)."""

    status = 409
    code = "balance_moved"
    title = "Balance moved"
    #: Like a serialization failure: :func:`niha.core.retry.retrying` runs it again.
    sqlstate = "40001"


def knows(
    known: Mapping[AccountKey, AccountState],
    transfers: Iterable[TransferRequest],
    expect: Iterable[AccountKey] = (),
) -> bool:
    """Whether ``known`` holds every account of ``transfers`` and ``expect``: then
    :func:`stage_batch` reads nothing."""
    return all(t.debit in known and t.credit in known for t in transfers) and all(
        k in known for k in expect
    )


async def stage_batch(
    session: AsyncSession,
    transfers: Sequence[TransferRequest],
    *,
    known: Mapping[AccountKey, AccountState] | None = None,
    expect: Mapping[AccountKey, int] | None = None,
    via: Statements | None = None,
) -> StagedBatch:
    """:func:`post_batch` for a caller that commits right after, in pipeline mode.

    The same validation, lock (accounts in id order, missing ones created) and rules,
    with the same errors; then the write -- batch, transfers, balances and the
    ``balances`` outbox events -- is *sent*, not read: it travels with the caller's own
    writes and COMMIT. Its keys must be new (the caller derives them from ids it has
    just made): a key that exists fails the caller's transaction at its commit, where
    :func:`integrity_error` names it; nothing is written then. An exact resubmission
    found while refusing a batch is a replay, as with :func:`post_batch` (no events).
    The events are not published here: the caller publishes ``events`` once committed.

    ``known``: the accounts as the caller remembers them (:attr:`StagedBatch.accounts`
    of its earlier batches). When it holds every account of the batch and of
    ``expect``, nothing is read: the batch is planned on those balances and
    :func:`send_expect_balances` makes the transaction fail unless the client accounts
    hold them (platform accounts carry no rule on their balance). Otherwise the
    accounts are locked and read first, and ``expect`` -- balances the caller decided
    on, read without a lock -- is checked against them: each must be at least that
    (:class:`BalanceMoved` otherwise). A balance that moved up since leaves every
    decision standing (what the caller took from it fits all the more; the batch is
    planned on the locked balances); one that moved down may not. Two processes moving
    one client's balances all the time (a client trading both instruments through
    both) otherwise failed this check attempt after attempt.

    ``via``: statements the caller sends in a round trip of its own
    (:class:`~niha.core.pipeline.Statements`); the lock, the check and the write are
    added to it. Only with ``known`` holding every account (nothing to read).
    """
    expect = expect or {}
    keys = sorted({k for t in transfers for k in (t.debit, t.credit)})
    if known is not None and knows(known, transfers, expect):
        return await _stage_known(session, list(transfers), keys, known, expect, via)
    if via is not None:
        raise ValueError("stage_batch(via=...) needs every account in known")
    planned = await _plan(session, transfers, expect)
    if isinstance(planned, PostedBatch):
        return StagedBatch(planned.id, {}, [])
    transfers, scales, keys, driver, locked, after = planned
    return await _send_stage(driver, transfers, scales, keys, locked, after)


async def _stage_known(
    session: AsyncSession,
    transfers: list[TransferRequest],
    keys: list[AccountKey],
    known: Mapping[AccountKey, AccountState],
    expect: Mapping[AccountKey, int],
    via: Statements | None,
) -> StagedBatch:
    scales = await asset_scales(session, {t.debit.asset for t in transfers})
    try:
        core.validate_batch(transfers, scales)
        after = core.apply_batch({k: known[k].balance for k in keys}, transfers, scales)
    except core.InsufficientFunds:
        # Short by what the caller remembers, which another process may have moved since
        # (up): only the locked balances can say. Run again, reading them (a real
        # shortfall is refused then).
        raise BalanceMoved("a remembered balance does not cover the batch") from None
    except core.LedgerError as exc:
        raise domain_error(exc) from None
    expected = {k: known[k].balance for k in keys if k.is_client}
    expected.update(expect)
    driver = via if via is not None else await driver_connection(session)
    await _send_expect(driver, known, expected, keys)
    locked = {k: known[k] for k in keys}
    return await _send_stage(driver, transfers, scales, keys, locked, after)


async def _send_stage(
    driver: Any,
    transfers: list[TransferRequest],
    scales: Mapping[str, int],
    keys: list[AccountKey],
    locked: Mapping[AccountKey, AccountState],
    after: Mapping[AccountKey, int],
) -> StagedBatch:
    batch_id = new_id()
    now = utcnow()
    ids = [new_id() for _ in transfers]
    deltas = core.net_changes(transfers)
    changed = [k for k in keys if deltas.get(k, 0) != 0]
    records = [
        events.new_event(BALANCES_CHANNEL, BALANCES_EVENT, data, entity_id=owner, at=now)
        for owner, data in balance_events([(batch_id, changed)], after, scales)
    ]
    params = _batch_params(transfers, locked, batch_id, ids, now, changed, deltas)
    params.update(events.outbox_params(records, "events"))
    await send(driver, _STAGE_SQL, params)
    accounts = {k: AccountState(locked[k].id, after[k]) for k in keys}
    return StagedBatch(batch_id, after, records, accounts)


_LEDGER_CONSTRAINTS = frozenset(
    {"uq_ledger_transfer_idempotency_key", "ck_ledger_account_client_nonnegative"}
)


def integrity_error(exc: BaseException) -> DomainError | None:
    """The domain error of a ledger constraint that ``exc`` (a failed commit) reports, if any."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, psycopg.errors.IntegrityError):
            constraint = current.diag.constraint_name or ""
            if constraint in _LEDGER_CONSTRAINTS:
                return _integrity_error(current)
            return None
        current = current.__cause__ or current.__context__
    return None


# --------------------------------------------------------------------------- reading


async def balances(session: AsyncSession, owner: uuid.UUID) -> list[AssetBalance]:
    """An entity's balances: one line per asset (every known asset, zeros included)."""
    rows = (
        await session.execute(
            select(LedgerAccount.asset, LedgerAccount.bucket, LedgerAccount.balance).where(
                LedgerAccount.owner_type == OwnerType.ENTITY.value,
                LedgerAccount.owner_id == owner,
            )
        )
    ).all()
    scales = await asset_scales(session, {r.asset for r in rows})
    return core.asset_balances(((r.asset, r.bucket, r.balance) for r in rows), scales)


async def account_balance(session: AsyncSession, key: AccountKey) -> int:
    """One account's balance (0 when it does not exist yet)."""
    value = await session.scalar(
        select(LedgerAccount.balance).where(
            LedgerAccount.owner_type == key.owner_type,
            LedgerAccount.owner_id == key.owner_id,
            LedgerAccount.asset == key.asset,
            LedgerAccount.bucket == key.bucket,
        )
    )
    return int(value or 0)


_ACCOUNT_ID = LedgerAccount.__table__.c.id
_TRANSFER_ID = LedgerTransfer.__table__.c.id


@dataclass(frozen=True)
class AccountFilter:
    owner_id: uuid.UUID | None = None
    owner_type: str | None = None
    asset: str | None = None
    bucket: str | None = None


@dataclass(frozen=True)
class ListResult:
    items: list[Any]
    next_cursor: str | None
    scales: Mapping[str, int]


async def list_accounts(session: AsyncSession, f: AccountFilter, page: PageParams) -> ListResult:
    stmt = select(LedgerAccount)
    if f.owner_id is not None:
        stmt = stmt.where(LedgerAccount.owner_id == f.owner_id)
    if f.owner_type is not None:
        stmt = stmt.where(LedgerAccount.owner_type == f.owner_type)
    if f.asset is not None:
        stmt = stmt.where(LedgerAccount.asset == f.asset)
    if f.bucket is not None:
        stmt = stmt.where(LedgerAccount.bucket == f.bucket)
    stmt = keyset_page(stmt, [_ACCOUNT_ID], page, descending=False, parse=[uuid.UUID])
    rows = (await session.scalars(stmt)).all()
    items, cursor = build_page(rows, page, lambda r: [r.id])
    return ListResult(items, cursor, await asset_scales(session))


@dataclass(frozen=True)
class TransferFilter:
    account_id: uuid.UUID | None = None
    batch_id: uuid.UUID | None = None
    asset: str | None = None
    kind: str | None = None
    reference_type: str | None = None
    reference_id: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


def _transfer_filters(f: TransferFilter, stmt: Select[Any]) -> Select[Any]:
    if f.batch_id is not None:
        stmt = stmt.where(LedgerTransfer.batch_id == f.batch_id)
    if f.asset is not None:
        stmt = stmt.where(LedgerTransfer.asset == f.asset)
    if f.kind is not None:
        stmt = stmt.where(LedgerTransfer.kind == f.kind)
    if f.reference_type is not None:
        stmt = stmt.where(LedgerTransfer.reference_type == f.reference_type)
    if f.reference_id is not None:
        stmt = stmt.where(LedgerTransfer.reference_id == f.reference_id)
    if f.date_from is not None:
        stmt = stmt.where(LedgerTransfer.created_at >= f.date_from)
    if f.date_to is not None:
        stmt = stmt.where(LedgerTransfer.created_at < f.date_to)
    return stmt


async def list_transfers(session: AsyncSession, f: TransferFilter, page: PageParams) -> ListResult:
    """Newest first, keyset on the (time-ordered) id."""
    parse = [uuid.UUID]
    if f.account_id is None:
        stmt = _transfer_filters(f, select(LedgerTransfer))
    else:
        # Each side walks its own (account, id) index; page 10,000 costs what page 1 does.
        sides = [
            keyset_page(
                _transfer_filters(f, select(LedgerTransfer.id).where(column == f.account_id)),
                [_TRANSFER_ID],
                page,
                parse=parse,
            )
            for column in (LedgerTransfer.debit_account_id, LedgerTransfer.credit_account_id)
        ]
        stmt = select(LedgerTransfer).where(
            LedgerTransfer.id.in_(union_all(*sides).scalar_subquery())
        )
    stmt = keyset_page(stmt, [_TRANSFER_ID], page, parse=parse)
    rows = (await session.scalars(stmt)).all()
    items, cursor = build_page(rows, page, lambda r: [r.id])
    return ListResult(items, cursor, await asset_scales(session))
