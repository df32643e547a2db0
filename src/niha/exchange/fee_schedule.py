"""Per-entity trading fees (ARCHITECTURE §6): which maker/taker fees an entity pays.

Four layers, the first that has a value wins:

1. the entity's override for this instrument (``exchange_fee_override`` with the
   instrument's id),
2. the entity's all-instruments override (``instrument_id`` NULL),
3. the instrument's own fees (``exchange_instrument.maker_fee_bps``/``taker_fee_bps``),
4. the configuration (``Settings.exchange_maker_fee_bps``/``exchange_taker_fee_bps``).

An override sets both fees (a negotiated deal is a pair); the instrument's columns fall
back to the configuration one by one. :func:`resolve` is the pure rule; :func:`fee_schedule`
loads an instrument's schedule for an order command.

Hot path, and why there is no cache: the sequencer (one command at a time per instrument)
calls :func:`fee_schedule` once per command, inside the transaction that already holds the
instrument row. It is one indexed query (``ix_exchange_fee_override_instrument``: the
instrument's rows and the NULL ones), returning only the handful of entities with a
negotiated deal. A per-process cache would need invalidation across every API process
(a version counter bumped with each change, read under the same lock) to stay correct —
more moving parts for a sub-millisecond saving — so every command reads the committed
overrides, and a change applies to the very next command in any process.

Staff manage overrides here too (:func:`set_override`, :func:`delete_override`,
:func:`list_overrides`): audited with before/after, announced on the ``backoffice`` channel.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit import service as audit
from niha.audit.service import Actor
from niha.config import Settings
from niha.core.clock import utcnow
from niha.core.db import Expectation, Sent, driver_connection, fetch, send
from niha.core.errors import NotFound, Unprocessable
from niha.core.events import emit
from niha.core.ids import new_id
from niha.core.pagination import PageParams, build_page, keyset_page
from niha.exchange.fees import Fees
from niha.exchange.models import FeeOverride, Instrument
from niha.onboarding import service as onboarding

__all__ = [
    "MAX_OVERRIDE_BPS",
    "RESOURCE",
    "FeeOverrideNotFound",
    "FeeSchedule",
    "Fees",
    "InvalidFee",
    "Override",
    "OverrideFilter",
    "SetResult",
    "delete_override",
    "entity_fees",
    "fee_schedule",
    "instrument_fees",
    "list_overrides",
    "resolve",
    "send_fee_schedule",
    "set_override",
]

RESOURCE = "exchange_fee_override"
#: The same ceiling as an instrument's fees (10 %), enforced by a CHECK constraint too.
MAX_OVERRIDE_BPS = 1000


class FeeOverrideNotFound(NotFound):
    code = "fee_override_not_found"
    title = "Fee override not found"


class InvalidFee(Unprocessable):
    code = "invalid_fee"
    title = "Invalid fee"


# --------------------------------------------------------------------------- pure rule


@dataclass(frozen=True)
class Override:
    """One override of an entity: for ``instrument_id``, or every instrument when None."""

    instrument_id: uuid.UUID | None
    fees: Fees


def resolve(instrument_fees: Fees, overrides: Iterable[Override]) -> Fees:
    """The fees one entity pays on one instrument.

    ``instrument_fees`` are the instrument's fees with the configuration filling the
    gaps (:func:`instrument_fees`); ``overrides`` are that entity's overrides that apply
    to the instrument: at most its instrument-specific one and its all-instruments one.
    The instrument's own override beats the all-instruments one, which beats the
    instrument's fees. Pure; raises ``ValueError`` on two overrides of the same scope or
    overrides for two different instruments (the unique constraint rules both out).
    """
    specific: Override | None = None
    general: Override | None = None
    for o in overrides:
        if o.instrument_id is None:
            if general is not None:
                raise ValueError("two all-instruments overrides for one entity")
            general = o
        else:
            if specific is not None:
                raise ValueError("two instrument overrides for one entity and instrument")
            specific = o
    if specific is not None:
        return specific.fees
    if general is not None:
        return general.fees
    return instrument_fees


def instrument_fees(instrument: Instrument, settings: Settings) -> Fees:
    """The instrument's fees, each one the configuration's default when the column is NULL."""
    maker = instrument.maker_fee_bps
    taker = instrument.taker_fee_bps
    return Fees(
        settings.exchange_maker_fee_bps if maker is None else maker,
        settings.exchange_taker_fee_bps if taker is None else taker,
    )


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class FeeSchedule:
    """The fees of every entity on one instrument, as of one command."""

    instrument_id: uuid.UUID
    #: What an entity without an override pays: the instrument's fees or the defaults.
    base: Fees
    #: Entities with an override that applies to this instrument -> their fees.
    overrides: Mapping[uuid.UUID, Fees] = field(default_factory=dict)
    #: When loaded for some entities only: those entities (asking for another is a bug).
    scope: frozenset[uuid.UUID] | None = None
    #: The override rows it was built from (entity, instrument, maker, taker).
    rows: tuple[tuple[Any, ...], ...] = ()

    def for_entity(self, entity_id: uuid.UUID) -> Fees:
        if self.scope is not None and entity_id not in self.scope:
            raise KeyError(f"the fee schedule was not loaded for entity {entity_id}")
        return self.overrides.get(entity_id, self.base)


_OVERRIDES_SQL = (
    "SELECT entity_id, instrument_id, maker_fee_bps, taker_fee_bps FROM exchange_fee_override "
    "WHERE (instrument_id = %s OR instrument_id IS NULL)"
)


async def fee_schedule(
    session: AsyncSession,
    settings: Settings,
    instrument: Instrument,
    *,
    entities: Collection[uuid.UUID] | None = None,
) -> FeeSchedule:
    """The schedule of ``instrument``: one indexed query, no cache (see the module doc).

    ``entities`` narrows the query to those entities (e.g. a taker before matching, or
    the makers of a plan); :meth:`FeeSchedule.for_entity` then refuses any other entity.
    """
    base = instrument_fees(instrument, settings)
    scope = frozenset(entities) if entities is not None else None
    if scope is not None and not scope:
        return FeeSchedule(instrument.id, base, {}, scope)
    # Plain SQL: this runs in every group of orders (SQLAlchemy's per-statement overhead
    # would be most of its cost).
    query = _OVERRIDES_SQL if scope is None else _OVERRIDES_SQL + " AND entity_id = ANY(%s)"
    params: tuple[Any, ...] = (instrument.id,) if scope is None else (instrument.id, list(scope))
    return _schedule(instrument.id, base, await fetch(session, query, params), scope)


def _schedule(
    instrument_id: uuid.UUID,
    base: Fees,
    rows: Iterable[tuple[Any, ...]],
    scope: frozenset[uuid.UUID] | None,
) -> FeeSchedule:
    read = list(rows)
    found: dict[uuid.UUID, list[Override]] = defaultdict(list)
    for entity_id, override_instrument, maker, taker in read:
        found[entity_id].append(Override(override_instrument, Fees(maker, taker)))
    resolved = {entity_id: resolve(base, rows) for entity_id, rows in found.items()}
    return FeeSchedule(instrument_id, base, resolved, scope, tuple(map(tuple, read)))


class PendingSchedule:
    """The query of :func:`send_fee_schedule`, sent; :meth:`result` reads it."""

    def __init__(self, instrument_id: uuid.UUID, sent: Sent) -> None:
        self.instrument_id = instrument_id
        self._sent = sent

    async def result(self, settings: Settings, instrument: Instrument) -> FeeSchedule:
        """:func:`fee_schedule` (all entities) of ``instrument`` (the row read meanwhile)."""
        if instrument.id != self.instrument_id:
            raise ValueError("the schedule was sent for another instrument")
        rows = await self._sent.rows()
        return _schedule(instrument.id, instrument_fees(instrument, settings), rows, None)


async def send_fee_schedule(session: AsyncSession, instrument_id: uuid.UUID) -> PendingSchedule:
    """:func:`fee_schedule`'s query, sent but not read: in pipeline mode it travels with
    the statements sent around it (the group of orders reads it with the instrument row,
    which it needs for the instrument's own fees)."""
    driver = await driver_connection(session)
    return PendingSchedule(instrument_id, await send(driver, _OVERRIDES_SQL, (instrument_id,)))


_SAME_OVERRIDES = """
    (SELECT count(*) FROM exchange_fee_override
     WHERE instrument_id = %(instrument_id)s OR instrument_id IS NULL) = %(n)s
    AND (SELECT count(*) FROM exchange_fee_override AS o
         JOIN unnest(%(entities)s::uuid[], %(instruments)s::uuid[], %(makers)s::integer[],
                     %(takers)s::integer[]) AS e(entity_id, instrument_id, maker, taker)
           ON o.entity_id = e.entity_id
          AND o.instrument_id IS NOT DISTINCT FROM e.instrument_id
          AND o.maker_fee_bps IS NOT DISTINCT FROM e.maker
          AND o.taker_fee_bps IS NOT DISTINCT FROM e.taker
         WHERE o.instrument_id = %(instrument_id)s OR o.instrument_id IS NULL) = %(n)s
"""


def expect_fee_schedule(schedule: FeeSchedule) -> Expectation:
    """That the overrides are still the ones ``schedule`` (of all entities) was built
    from (see :func:`niha.core.db.send_expectations`)."""
    if schedule.scope is not None:
        raise ValueError("only a schedule of all entities can be expected")
    rows = schedule.rows
    return Expectation(
        _SAME_OVERRIDES,
        {
            "instrument_id": schedule.instrument_id,
            "n": len(rows),
            "entities": [r[0] for r in rows],
            "instruments": [r[1] for r in rows],
            "makers": [r[2] for r in rows],
            "takers": [r[3] for r in rows],
        },
        "the fee schedule",
    )


@dataclass(frozen=True)
class EntityFees:
    symbol: str
    fees: Fees
    negotiated: bool


async def entity_fees(
    session: AsyncSession, settings: Settings, entity_id: uuid.UUID
) -> list[EntityFees]:
    """What ``entity_id`` pays on each instrument (its own view of the schedule)."""
    out = []
    for inst in (await session.scalars(select(Instrument).order_by(Instrument.symbol))).all():
        schedule = await fee_schedule(session, settings, inst, entities=[entity_id])
        out.append(
            EntityFees(inst.symbol, schedule.for_entity(entity_id), entity_id in schedule.overrides)
        )
    return out


# --------------------------------------------------------------------------- staff


def _check_fee(value: int, name: str) -> None:
    if type(value) is not int or not 0 <= value <= MAX_OVERRIDE_BPS:
        raise InvalidFee(
            f"{name} must be a whole number of basis points from 0 to {MAX_OVERRIDE_BPS}",
            field=name,
        )


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise Unprocessable("a reason is required", field="reason")
    return reason


def _scope(instrument_id: uuid.UUID | None) -> ColumnElement[bool]:
    if instrument_id is None:
        return FeeOverride.instrument_id.is_(None)
    return FeeOverride.instrument_id == instrument_id


async def _locked(
    session: AsyncSession, entity_id: uuid.UUID, instrument_id: uuid.UUID | None
) -> FeeOverride | None:
    return await session.scalar(
        select(FeeOverride)
        .where(FeeOverride.entity_id == entity_id, _scope(instrument_id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _snapshot(row: FeeOverride, symbol: str | None) -> dict[str, Any]:
    return {
        "entity_id": str(row.entity_id),
        "instrument": symbol,
        "maker_fee_bps": row.maker_fee_bps,
        "taker_fee_bps": row.taker_fee_bps,
        "reason": row.reason,
    }


def _event(row: FeeOverride, symbol: str | None) -> dict[str, Any]:
    return {
        "override_id": str(row.id),
        "entity_id": str(row.entity_id),
        "instrument": symbol,
        "maker_fee_bps": row.maker_fee_bps,
        "taker_fee_bps": row.taker_fee_bps,
    }


@dataclass(frozen=True)
class SetResult:
    override: FeeOverride
    created: bool


async def set_override(
    session: AsyncSession,
    entity_id: uuid.UUID,
    instrument: Instrument | None,
    maker_fee_bps: int,
    taker_fee_bps: int,
    reason: str,
    actor: Actor,
) -> SetResult:
    """Create or replace the entity's override for ``instrument`` (None: every instrument).

    ``entity_not_found`` for an unknown entity, ``invalid_fee`` (422, with the field) for a
    fee outside 0..1000 bps. Takes effect on the next order command on the instrument.
    """
    _check_fee(maker_fee_bps, "maker_fee_bps")
    _check_fee(taker_fee_bps, "taker_fee_bps")
    reason = _check_reason(reason)
    await onboarding.get_entity(session, entity_id)
    instrument_id = instrument.id if instrument is not None else None
    symbol = instrument.symbol if instrument is not None else None
    now = utcnow()
    row = await _locked(session, entity_id, instrument_id)
    if row is None:
        # Insert unless a concurrent request just did; then update the row it made.
        inserted = await session.scalar(
            insert(FeeOverride)
            .values(
                id=new_id(),
                entity_id=entity_id,
                instrument_id=instrument_id,
                maker_fee_bps=maker_fee_bps,
                taker_fee_bps=taker_fee_bps,
                reason=reason,
                created_by=actor.id,
                updated_by=actor.id,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(FeeOverride.id)
        )
        if inserted is not None:
            created = await session.get(FeeOverride, inserted)
            assert created is not None
            await audit.record(
                session, actor, "exchange.fee_override.create", RESOURCE, created.id,
                after=_snapshot(created, symbol),
            )  # fmt: skip
            await emit(session, "backoffice", "fee_override.set", _event(created, symbol))
            return SetResult(created, True)
        row = await _locked(session, entity_id, instrument_id)
        assert row is not None
    before = _snapshot(row, symbol)
    row.maker_fee_bps = maker_fee_bps
    row.taker_fee_bps = taker_fee_bps
    row.reason = reason
    row.updated_by = actor.id
    row.updated_at = now
    await session.flush()
    await audit.record(
        session, actor, "exchange.fee_override.update", RESOURCE, row.id,
        before=before, after=_snapshot(row, symbol),
    )  # fmt: skip
    await emit(session, "backoffice", "fee_override.set", _event(row, symbol))
    return SetResult(row, False)


async def delete_override(
    session: AsyncSession,
    entity_id: uuid.UUID,
    instrument: Instrument | None,
    reason: str,
    actor: Actor,
) -> None:
    """Remove the entity's override for ``instrument`` (None: the all-instruments one).

    The entity pays the next layer's fees from its next order on. ``entity_not_found``,
    ``fee_override_not_found``. The audit row keeps what was removed and why.
    """
    reason = _check_reason(reason)
    await onboarding.get_entity(session, entity_id)
    instrument_id = instrument.id if instrument is not None else None
    symbol = instrument.symbol if instrument is not None else None
    row = await _locked(session, entity_id, instrument_id)
    if row is None:
        scope = f"on {symbol}" if symbol else "for all instruments"
        raise FeeOverrideNotFound(f"this entity has no fee override {scope}", field="instrument")
    before = _snapshot(row, symbol)
    event = _event(row, symbol)
    await session.delete(row)
    await session.flush()
    await audit.record(
        session, actor, "exchange.fee_override.delete", RESOURCE, row.id,
        before=before, after={"deleted": True, "reason": reason},
    )  # fmt: skip
    await emit(session, "backoffice", "fee_override.deleted", event)


@dataclass(frozen=True)
class OverrideFilter:
    entity_id: uuid.UUID | None = None
    #: Only this instrument's own overrides.
    instrument_id: uuid.UUID | None = None
    #: Only the all-instruments overrides.
    all_instruments: bool = False


async def list_overrides(
    session: AsyncSession, f: OverrideFilter, page: PageParams
) -> tuple[list[FeeOverride], str | None]:
    """Overrides, newest first, keyset-paginated."""
    stmt = select(FeeOverride)
    if f.entity_id is not None:
        stmt = stmt.where(FeeOverride.entity_id == f.entity_id)
    if f.all_instruments:
        stmt = stmt.where(FeeOverride.instrument_id.is_(None))
    elif f.instrument_id is not None:
        stmt = stmt.where(FeeOverride.instrument_id == f.instrument_id)
    # UUIDv7 ids are time-ordered: newest first is id descending, on the primary key.
    stmt = keyset_page(stmt, [FeeOverride.__table__.c.id], page, parse=[uuid.UUID])
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page, lambda r: [r.id])
