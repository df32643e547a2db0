"""Group commit for standalone ledger batches (ARCHITECTURE §4; TigerBeetle batches too).

A batch that is a unit of work of its own goes through the writer of its database,
``await service.submit(db, transfers)``, instead of a transaction of its own. One writer
per process and database; its flusher task takes everything queued and posts it in ONE
transaction:

1. validate each batch (a malformed one is refused to its own caller, alone);
2. lock the union of the group's accounts ``FOR NO KEY UPDATE`` in id order, one
   statement (missing accounts are created first), as :func:`service.post_batch` does;
3. apply the pure rules batch by batch in arrival order
   (:func:`niha.ledger.core.apply_batches`): a batch that does not fit the balances, or
   that reuses an idempotency key with other content, is refused and skipped, the others
   go on; an exact resubmission -- of a batch posted earlier or of one earlier in the
   same group -- is a replay of the original;
4. one statement writes every posted batch, its transfers, the net balance deltas and
   one ``balances`` outbox event per client entity touched (coalesced over the group),
   unless one of the group's keys -- the refused batches' too -- exists already (a
   resubmission of an earlier batch, or a key another transaction posted meanwhile):
   then nothing is written and the group is planned again knowing those keys;
5. commit -- and only then is each caller's future resolved (durable before
   acknowledged). The events are published after that, in commit order, and marked
   published by the next group's statement (or by a statement apart when no group
   follows; a mark lost in a crash only means the relay publishes the event again).

The transaction runs on one pooled connection held while groups keep coming. The writer
remembers the id (it never changes) and the last balance it saw of every account of its
groups. A group whose accounts it has all seen is planned on those balances (steps 3-4
before anything is sent) and posted in ONE round trip: ``BEGIN``, the lock of the
accounts by id (id order), the write statement and ``COMMIT``, through libpq's pipeline,
each statement prepared once per connection (``core.pipeline.Statements``). The write
statement first checks, under the locks, that every account still holds the balance the
plan was made on; if one does not (another transaction or process moved it meanwhile) it
writes nothing, the transaction commits empty, and the group goes the locked way: BEGIN
and the lock by natural key in one round trip (psycopg pipeline mode), steps 3-4 on the
locked balances, the write and COMMIT in a second. A plan is only ever applied to exactly
the balances it was made on, so each batch's outcome (``insufficient_funds`` and its
shortfall included) is the one posting it alone in arrival order would give; the
``CHECK`` that client buckets are not negative stays a backstop. A failure of the
transaction fails every caller of that group with :class:`LedgerUnavailable` and writes
nothing (the transaction rolls back). A serialization failure or deadlock (SQLSTATE
40001/40P01), another transaction committing one of the group's idempotency keys first,
or a prepared statement gone from the connection (which the pipeline itself sends again
at once, in a transaction of its own), runs the group again.

Concurrency comes from batching, not from parallel transactions: while one group is in
the database, the submissions of all other callers queue up and go together into the
next one. Writers of other processes lock the same rows in the same order and therefore
never deadlock with this one. Do not submit from inside a transaction that holds locks
on ledger accounts (use :func:`service.post_batch` there): the writer would wait for a
lock its caller keeps until the writer answers -- after ``lock_timeout`` the group fails.
The writer uses connections of ``db.engine`` directly: its transactions are its own,
whatever session the caller has.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import random
import uuid
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
import structlog
from psycopg.pq import TransactionStatus
from sqlalchemy.ext.asyncio import AsyncConnection

from niha.core import events
from niha.core.clock import utcnow
from niha.core.db import Database
from niha.core.errors import DomainError
from niha.core.events import EmittedEvent
from niha.core.ids import new_id
from niha.core.pipeline import Statements
from niha.core.retry import is_retryable
from niha.ledger import core, service
from niha.ledger.core import AccountKey, TransferRequest
from niha.ledger.service import PostedBatch

log = structlog.get_logger("niha.ledger.writer")

__all__ = ["LedgerUnavailable", "LedgerWriter", "writer_for"]


class LedgerUnavailable(DomainError):
    """The transaction of a group commit failed: nothing of the batch was written."""

    status = 503
    code = "ledger_unavailable"
    title = "Ledger unavailable"


# One statement for a whole group: unless a key exists already, or the group was planned
# on other balances than the locked ones (``expected``, :meth:`LedgerWriter._post_planned`),
# insert the batches and their transfers, apply the net balance deltas and write the
# outbox events; report whether a key existed and whether the plan was stale (then none
# of that was written). The transfers travel as one JSON document (cheaper to send than
# one array per column). It also marks the events of earlier groups published (their
# publication happened after those groups committed), whatever else happens.
_WRITE_GROUP_SQL = (
    """
    WITH v AS MATERIALIZED (
        SELECT * FROM json_to_recordset(%(transfers)s::json)
             AS v(id uuid, batch_id uuid, debit uuid, credit uuid, asset text,
                  amount bigint, kind text, reference_type text, reference_id text,
                  key text)
    ), dup AS (
        SELECT 1 FROM ledger_transfer
        WHERE idempotency_key = ANY(ARRAY(SELECT json_array_elements_text(%(keys)s::json)))
        LIMIT 1
    ), stale AS (
        SELECT 1
        FROM unnest(%(ids)s::uuid[], %(expected)s::bigint[]) AS e(id, balance)
        LEFT JOIN ledger_account AS a ON a.id = e.id AND a.balance = e.balance
        WHERE a.id IS NULL
        LIMIT 1
    ), go AS (
        SELECT NOT EXISTS (SELECT 1 FROM dup) AND NOT EXISTS (SELECT 1 FROM stale) AS ok
    ), b AS (
        INSERT INTO ledger_batch (id, transfer_count, created_at)
        SELECT v.batch_id, count(*), %(now)s::timestamptz
        FROM v
        WHERE (SELECT ok FROM go)
        GROUP BY v.batch_id
        RETURNING id
    ), t AS (
        INSERT INTO ledger_transfer
            (id, batch_id, debit_account_id, credit_account_id, asset, amount, kind,
             reference_type, reference_id, idempotency_key, created_at)
        SELECT v.id, v.batch_id, v.debit, v.credit, v.asset, v.amount, v.kind,
               v.reference_type, v.reference_id, v.key, %(now)s::timestamptz
        FROM v
        JOIN b ON b.id = v.batch_id
        RETURNING 1
    ), u AS (
        UPDATE ledger_account AS a
        SET balance = a.balance + d.delta, updated_at = %(now)s::timestamptz
        FROM unnest(%(a_ids)b::uuid[], %(a_deltas)b::bigint[]) AS d(id, delta)
        WHERE a.id = d.id AND (SELECT ok FROM go)
        RETURNING 1
    ), o AS ("""
    + events.outbox_insert_sql("events")
    + """
        AND (SELECT ok FROM go)
        RETURNING 1
    ), m AS ("""
    + events.mark_published_sql("marks")
    + """
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM dup) AS duplicate, EXISTS (SELECT 1 FROM stale) AS stale
"""
)

# The optimistic round trip locks the group's accounts by id (known from earlier groups;
# an account's id never changes), in id order like every other ledger writer.
_LOCK_IDS_SQL = """
    SELECT a.id, a.balance
    FROM ledger_account AS a
    WHERE a.id = ANY(%(ids)s::uuid[])
    ORDER BY a.id
    FOR NO KEY UPDATE OF a
"""


@dataclass(eq=False)
class _Pending:
    transfers: list[TransferRequest]
    future: asyncio.Future[PostedBatch]
    batch_id: uuid.UUID


Outcome = PostedBatch | BaseException
# A group's outcome: the result of every valid batch, the batches posted (by id), the
# originals of replayed earlier batches (by id) and the events written.
_Done = tuple[
    list[core.BatchResult],
    dict[uuid.UUID, PostedBatch],
    dict[uuid.UUID, PostedBatch],
    list[EmittedEvent],
]
# Accounts whose id and last seen balance a writer keeps (then it forgets them all).
_MAX_REMEMBERED = 100_000


class LedgerWriter:
    """The group-committing writer of one database in one process (see the module)."""

    def __init__(
        self,
        db: Database,
        *,
        max_transfers: int = 5000,
        attempts: int = 5,
        base_delay: float = 0.005,
        lock_timeout: float = 10.0,
    ) -> None:
        self.db = db
        # A caller that submits while its own open transaction holds a lock on one of
        # the accounts would wait for the writer that waits for it, unseen by
        # PostgreSQL's deadlock detector: the group fails after ``lock_timeout`` seconds
        # instead of stalling the writer for good.
        self._lock_timeout = f"SET LOCAL lock_timeout = '{int(lock_timeout * 1000)}ms'"
        self.max_transfers = max(max_transfers, core.MAX_BATCH)
        self.attempts = attempts
        self.base_delay = base_delay
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self._conn: AsyncConnection | None = None
        self._driver: Any = None
        self._to_publish: list[list[EmittedEvent]] = []
        self._publishing: asyncio.Task[None] | None = None
        self._unmarked: list[uuid.UUID] = []
        # The id (never changes) and the balance last seen (a guess: other transactions
        # move it too) of the accounts of earlier groups; see :meth:`_post_planned`.
        self._ids: dict[AccountKey, uuid.UUID] = {}
        self._balances: dict[AccountKey, int] = {}
        #: Groups committed, batches they carried, flushes run again (tests, benchmark).
        self.flushes = 0
        self.batches = 0
        self.retries = 0
        #: Optimistic round trips tried, and those that found other balances locked.
        self.planned = 0
        self.stale = 0

    # ------------------------------------------------------------------ callers

    async def submit(self, transfers: Sequence[TransferRequest]) -> PostedBatch:
        """Post ``transfers`` as one atomic batch with the next group; see the module."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # first use, or a new event loop (tests)
            self._loop, self._queue, self._flusher = loop, [], None
            self._conn = self._driver = self._publishing = None
            self._to_publish, self._unmarked = [], []
        future: asyncio.Future[PostedBatch] = loop.create_future()
        self._queue.append(_Pending(list(transfers), future, new_id()))
        if self._flusher is None:
            self._flusher = loop.create_task(self._run())
        return await future

    async def drain(self) -> None:
        """Wait until everything submitted so far is posted, published and marked."""
        while self._flusher is not None or self._publishing is not None:
            for task in (self._flusher, self._publishing):
                if task is not None:
                    await asyncio.shield(task)

    # ------------------------------------------------------------------ the flusher

    async def _run(self) -> None:
        try:
            while True:
                if not self._queue:
                    await asyncio.sleep(0)  # callers just answered may submit again at once
                    if not self._queue:
                        break
                group: list[_Pending] = []
                size = 0
                while self._queue and (
                    not group or size + len(self._queue[0].transfers) <= self.max_transfers
                ):
                    pending = self._queue.pop(0)
                    size += len(pending.transfers)
                    group.append(pending)
                # a caller cancelled before its group started: it is not posted at all
                group = [p for p in group if not p.future.done()]
                if not group:
                    continue
                try:
                    await self._flush(group)
                except Exception as exc:  # pragma: no cover - a bug; never leave callers hanging
                    log.exception("ledger_group_crashed")
                    for p in group:
                        if not p.future.done():
                            p.future.set_exception(exc)
        finally:
            self._flusher = None
            conn, self._conn, self._driver = self._conn, None, None
            if self._unmarked:
                self._publish_later([])  # nobody carries the marks now: mark them apart
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()  # back to the pool until the next burst

    async def _flush(self, group: list[_Pending]) -> None:
        for attempt in range(1, self.attempts + 1):
            marks, self._unmarked = self._unmarked, []
            try:
                outcomes, records = await self._post(group, marks)
            except Exception as exc:
                self._unmarked = marks + self._unmarked
                await self._reset()
                if attempt < self.attempts and (is_retryable(exc) or _key_race(exc)):
                    self.retries += 1
                    await asyncio.sleep(self.base_delay * (2**attempt) * (0.5 + random.random()))
                    continue
                log.warning("ledger_group_failed", batches=len(group), error=repr(exc))
                for p in group:
                    if not p.future.done():
                        failure = LedgerUnavailable("the ledger could not post this batch")
                        failure.__cause__ = exc
                        p.future.set_exception(failure)
                return
            break
        else:  # pragma: no cover - the loop returns or breaks
            return
        self.flushes += 1
        self.batches += len(group)
        for p, outcome in zip(group, outcomes, strict=True):
            if p.future.done():  # the caller went away; the batch is posted all the same
                continue
            if isinstance(outcome, BaseException):
                p.future.set_exception(outcome)
            else:
                p.future.set_result(outcome)
        if records:
            self._publish_later(records)

    async def _connection(self) -> Any:
        """The psycopg connection this burst of groups uses (one, from the pool)."""
        if self._driver is None:
            self._conn = await self.db.engine.connect()
            raw = await self._conn.get_raw_connection()
            self._driver = raw.driver_connection
        return self._driver

    async def _reset(self) -> None:
        """After a failed group: roll back, or drop the connection if that fails too."""
        conn, driver = self._conn, self._driver
        if conn is None:
            return
        try:
            await driver.rollback()
            if driver.autocommit:  # left so by a failed single round trip
                await driver.set_autocommit(False)
        except Exception:
            self._conn = self._driver = None
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    async def _post(
        self, group: list[_Pending], marks: list[uuid.UUID]
    ) -> tuple[list[Outcome], list[EmittedEvent]]:
        """One transaction for the whole group: one round trip when the group's accounts
        and their balances are known from earlier groups, else two (or more, see below)."""
        driver = await self._connection()
        outcomes: list[Outcome | None] = [None] * len(group)
        scales = await service._asset_scales_raw(
            driver, {t.debit.asset for p in group for t in p.transfers}
        )
        valid: list[int] = []
        for i, p in enumerate(group):
            try:
                core.validate_batch(p.transfers, scales)
            except core.LedgerError as exc:
                outcomes[i] = service.domain_error(exc)
            else:
                valid.append(i)
        if not valid:  # nothing for the database (the marks wait for the next group)
            return [o for o in outcomes if o is not None], []
        keys = sorted({k for i in valid for t in group[i].transfers for k in (t.debit, t.credit)})
        batches = [(group[i].batch_id, group[i].transfers) for i in valid]
        existing: list[core.ExistingTransfer] = []
        done: _Done | None = None
        if all(k in self._balances for k in keys):
            planned = await self._post_planned(driver, group, valid, keys, batches, scales, marks)
            marks = []  # that transaction carried them (and committed, whatever else)
            if isinstance(planned, tuple):
                done = planned
            elif planned is not None:  # one of the keys exists: plan again knowing it
                existing = planned
        if done is None:
            done = await self._post_locked(
                driver, group, valid, keys, batches, scales, marks, existing
            )
        results, posted, originals, records = done
        for i, r in zip(valid, results, strict=True):
            if r.posted:
                outcomes[i] = posted[group[i].batch_id]
            elif r.error is not None:
                outcomes[i] = service.domain_error(r.error)
            elif r.replay_of is not None:
                original = posted.get(r.replay_of) or originals[r.replay_of]
                outcomes[i] = dataclasses.replace(original, replayed=True, balances={})
        assert all(o is not None for o in outcomes)
        return [o for o in outcomes if o is not None], records

    def _plan(
        self,
        group: list[_Pending],
        valid: list[int],
        batches: list[tuple[uuid.UUID, list[TransferRequest]]],
        before: Mapping[AccountKey, int],
        existing: Sequence[core.ExistingTransfer],
        scales: Mapping[str, int],
    ) -> tuple[
        list[core.BatchResult], dict[AccountKey, int], dict[uuid.UUID, PostedBatch], datetime
    ]:
        """The pure part: every batch's outcome on ``before``, and the posted batches."""
        results, after = core.apply_batches(before, batches, existing, scales)
        now = utcnow()
        ids = self._ids
        posted: dict[uuid.UUID, PostedBatch] = {}
        for i, r in zip(valid, results, strict=True):
            if r.posted:
                p = group[i]
                posted[p.batch_id] = _result(p, r.balances, ids, now)
        return results, after, posted, now

    def _events(
        self,
        posted: dict[uuid.UUID, PostedBatch],
        after: Mapping[AccountKey, int],
        scales: Mapping[str, int],
        now: datetime,
    ) -> list[EmittedEvent]:
        """One ``balances`` event per client entity the group changed."""
        return [
            EmittedEvent(
                id=new_id(),
                channel=service.BALANCES_CHANNEL,
                event=service.BALANCES_EVENT,
                data=data,
                entity_id=owner,
                user_id=None,
                created_at=now,
            )
            for owner, data in service.balance_events(
                [(b.id, _changed(b)) for b in posted.values()], after, scales
            )
        ]

    async def _post_planned(
        self,
        driver: Any,
        group: list[_Pending],
        valid: list[int],
        keys: list[AccountKey],
        batches: list[tuple[uuid.UUID, list[TransferRequest]]],
        scales: Mapping[str, int],
        marks: list[uuid.UUID],
    ) -> _Done | list[core.ExistingTransfer] | None:
        """The optimistic round trip: plan on the balances this writer last saw, then
        BEGIN, lock the accounts by id, write unless the locked balances differ from
        those planned on (or a key exists), COMMIT -- all in one round trip.

        The plan is the one :meth:`_post_locked` would make exactly when every locked
        balance equals the planned-on one, which the write statement checks under the
        locks: otherwise (another transaction or process moved a balance meanwhile)
        nothing is written, ``None`` is returned and the group goes the locked way.
        A known key returns the transfers already posted under the group's keys."""
        balances = self._balances
        before = {k: balances[k] for k in keys}
        results, after, posted, now = self._plan(group, valid, batches, before, [], scales)
        records = self._events(posted, after, scales, now)
        ids = self._ids
        self.planned += 1
        params = _params(batches, [], list(posted.values()), records, marks, now)
        params["ids"] = [ids[k] for k in keys]
        params["expected"] = [before[k] for k in keys]
        # One round trip: BEGIN, the lock, the write and COMMIT go out together, each
        # statement prepared once per connection (core.pipeline).
        batch = Statements(driver)
        batch.add(self._lock_timeout)
        batch.add(_LOCK_IDS_SQL, params, rows=True)
        batch.add(_WRITE_GROUP_SQL, params, rows=True)
        batch.add("COMMIT")
        try:
            returned = await batch.execute()
        finally:
            if driver.info.transaction_status != TransactionStatus.IDLE:
                await driver.rollback()  # a failed statement left it open
        locked, [row] = returned
        duplicate, stale = bool(row and row[0]), bool(row and row[1])
        if not duplicate and not stale:
            balances.update(after)
            return results, posted, {}, records
        self.stale += stale
        if stale:  # what the accounts held under the lock (a better guess for next time)
            keys_of = {ids[k]: k for k in keys}
            for account_id, balance in locked:
                balances[keys_of[account_id]] = balance
        if duplicate:
            return await service._existing(driver, [t.key for _, ts in batches for t in ts])
        return None

    async def _post_locked(
        self,
        driver: Any,
        group: list[_Pending],
        valid: list[int],
        keys: list[AccountKey],
        batches: list[tuple[uuid.UUID, list[TransferRequest]]],
        scales: Mapping[str, int],
        marks: list[uuid.UUID],
        existing: list[core.ExistingTransfer],
    ) -> _Done:
        """Two round trips: BEGIN + lock (creating missing accounts), then plan on the
        locked balances and write + COMMIT."""
        for _ in range(3):
            async with driver.pipeline():
                # round trip 1: BEGIN + lock (+ creating missing accounts, once per account)
                await driver.execute(self._lock_timeout)
                locked = await service._lock_accounts(driver, keys)
                self._remember(locked)
                before = {k: a.balance for k, a in locked.items()}
                results, after, posted, now = self._plan(
                    group, valid, batches, before, existing, scales
                )
                originals = {
                    r.replay_of: await service._original(driver, r.replay_of)
                    for r in results
                    if r.replay_of is not None and r.replay_of not in posted
                }
                records = self._events(posted, after, scales, now)
                # round trip 2: the write + COMMIT
                async with driver.cursor() as cursor:
                    await cursor.execute(
                        _WRITE_GROUP_SQL,
                        _params(batches, existing, list(posted.values()), records, marks, now),
                    )
                    await driver.commit()
                    row = await cursor.fetchone()
                    duplicate = bool(row and row[0])
            if not duplicate:
                self._balances.update(after)
                return results, posted, originals, records
            # Another transaction posted one of the keys meanwhile: plan again knowing it.
            marks = []
            existing = await service._existing(driver, [t.key for _, ts in batches for t in ts])
        raise RuntimeError("idempotency keys keep appearing")  # pragma: no cover

    def _remember(self, locked: Mapping[AccountKey, Any]) -> None:
        """Note the ids and balances of locked accounts for the next groups' plans."""
        if len(self._ids) > _MAX_REMEMBERED:
            self._ids.clear()
            self._balances.clear()
        for k, a in locked.items():
            self._ids[k] = a.id
            self._balances[k] = a.balance

    # ------------------------------------------------------------------ after commit

    def _publish_later(self, records: list[EmittedEvent]) -> None:
        """Publish a committed group's events after those of the groups before it."""
        self._to_publish.append(records)
        if self._publishing is None:
            assert self._loop is not None
            self._publishing = self._loop.create_task(self._publish())

    async def _publish(self) -> None:
        try:
            while True:
                while self._to_publish:
                    records = self._to_publish.pop(0)
                    await events.publish(records)
                    if records:  # one outbox row per transaction, its id its first event's
                        self._unmarked.append(records[0].id)
                if self._flusher is None and self._unmarked:
                    # no group is coming to carry the marks: mark them in a statement apart
                    ids, self._unmarked = self._unmarked, []
                    try:
                        await events.mark_published(self.db.engine, ids)
                    except Exception as exc:  # the relay publishes them again, that is all
                        log.warning("outbox_mark_failed", error=repr(exc))
                    continue
                break
        finally:
            self._publishing = None


def _changed(batch: PostedBatch) -> list[AccountKey]:
    """The accounts whose balance the batch changed."""
    return [k for k, v in core.net_changes(batch.transfers).items() if v != 0]


def _result(
    p: _Pending,
    balances: Mapping[AccountKey, int],
    ids: Mapping[AccountKey, uuid.UUID],
    now: datetime,
) -> PostedBatch:
    return PostedBatch(
        id=p.batch_id,
        created_at=now,
        transfers=service.posted_transfers(
            p.transfers, [new_id() for _ in p.transfers], p.batch_id, ids, now
        ),
        replayed=False,
        balances=balances,
    )


def _params(
    batches: Sequence[tuple[uuid.UUID, Sequence[TransferRequest]]],
    existing: Sequence[core.ExistingTransfer],
    posted: list[PostedBatch],
    records: list[EmittedEvent],
    marks: list[uuid.UUID],
    now: datetime,
) -> dict[str, Any]:
    """The write statement's arguments. ``keys``: those of every batch of the group not
    known to exist, the refused batches' too -- a refused batch may repeat one posted
    earlier (a replay, even when the balances have moved on since)."""
    known = {e.request.key for e in existing}
    transfers = json.dumps(
        [
            {
                "id": t.id.hex,
                "batch_id": b.id.hex,
                "debit": t.debit_account_id.hex,
                "credit": t.credit_account_id.hex,
                "asset": t.asset,
                "amount": t.amount,
                "kind": t.kind,
                "reference_type": t.reference_type,
                "reference_id": t.reference_id,
                "key": t.key,
            }
            for b in posted
            for t in b.transfers
        ]
    )
    deltas: dict[uuid.UUID, int] = {}
    for b in posted:
        for t in b.transfers:
            deltas[t.debit_account_id] = deltas.get(t.debit_account_id, 0) - t.amount
            deltas[t.credit_account_id] = deltas.get(t.credit_account_id, 0) + t.amount
    changed = [a for a, d in deltas.items() if d != 0]
    return {
        "transfers": transfers,
        "keys": json.dumps([t.key for _, ts in batches for t in ts if t.key not in known]),
        "ids": [],  # the optimistic round trip: the accounts and the balances planned on
        "expected": [],
        "now": now,
        "a_ids": changed,
        "a_deltas": [deltas[a] for a in changed],
        **events.outbox_params(records, "events"),
        "marks": marks,
    }


def _key_race(exc: BaseException) -> bool:
    """Another transaction committed one of the group's idempotency keys first."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, psycopg.errors.UniqueViolation):
            return "idempotency_key" in (current.diag.constraint_name or "")
        current = current.__cause__ or current.__context__
    return False


_writers: weakref.WeakKeyDictionary[Database, LedgerWriter] = weakref.WeakKeyDictionary()


def writer_for(db: Database) -> LedgerWriter:
    """The writer of ``db`` in this process (created on first use)."""
    writer = _writers.get(db)
    if writer is None:
        writer = _writers[db] = LedgerWriter(db)
    return writer
