"""Recording, verifying and reading the audit trail.

Every domain records staff and security actions through :func:`record`, inside the
transaction that makes the change. Rows form a SHA-256 chain in ``seq`` order; an
advisory transaction lock serialises appends so the chain has no forks or gaps.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit.chain import GENESIS_HASH, Break, ChainRow, first_break, link
from niha.audit.models import AuditLog
from niha.core.clock import isoformat_z, utcnow
from niha.core.ids import new_id
from niha.core.pagination import PageParams, build_page, keyset_page

AUDIT_LOCK_KEY = 0x6E69686161756474  # "nihaaudt"


@dataclass(frozen=True)
class Actor:
    """Who did it and from where. ``id`` is ``None`` for anonymous or system actions."""

    id: uuid.UUID | None = None
    email: str | None = None
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(id=None, email=name)


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    result: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return result


def content_of(row: AuditLog) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "seq": row.seq,
        "created_at": isoformat_z(row.created_at),
        "actor_id": str(row.actor_id) if row.actor_id else None,
        "actor_email": row.actor_email,
        "action": row.action,
        "resource_type": row.resource_type,
        "resource_id": row.resource_id,
        "before": row.before,
        "after": row.after,
        "ip": row.ip,
        "user_agent": row.user_agent,
    }


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: object | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
    last = (
        await session.execute(
            select(AuditLog.seq, AuditLog.hash).order_by(AuditLog.seq.desc()).limit(1)
        )
    ).first()
    prev_seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
    row = AuditLog(
        id=new_id(),
        seq=prev_seq + 1,
        created_at=utcnow(),
        actor_id=actor.id,
        actor_email=actor.email,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else None,
        before=_jsonable(before),
        after=_jsonable(after),
        ip=actor.ip,
        user_agent=(actor.user_agent or None) and actor.user_agent[:1000],
        prev_hash=prev_hash,
        hash="",
    )
    row.hash = link(prev_hash, content_of(row))
    session.add(row)
    await session.flush()
    return row


async def verify_chain(session: AsyncSession, batch: int = 2000) -> tuple[int, Break | None]:
    """Walk the chain in ``seq`` order, batch by batch; return (rows checked, first break)."""
    prev_hash, prev_seq, count = GENESIS_HASH, 0, 0
    while True:
        rows = (
            await session.scalars(
                select(AuditLog)
                .where(AuditLog.seq > prev_seq)
                .order_by(AuditLog.seq)
                .limit(batch)
                .execution_options(populate_existing=True)
            )
        ).all()
        if not rows:
            return count, None
        chain = [ChainRow(r.seq, str(r.id), content_of(r), r.prev_hash, r.hash) for r in rows]
        broken = first_break(chain, start_hash=prev_hash, start_seq=prev_seq)
        if broken:
            return count, broken
        count += len(chain)
        prev_hash, prev_seq = chain[-1].hash, chain[-1].seq
        session.expunge_all()


@dataclass(frozen=True)
class AuditFilter:
    actor_id: uuid.UUID | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


def _filtered(f: AuditFilter) -> Select[AuditLog]:
    stmt = select(AuditLog)
    if f.actor_id:
        stmt = stmt.where(AuditLog.actor_id == f.actor_id)
    if f.action:
        stmt = stmt.where(AuditLog.action == f.action)
    if f.resource_type:
        stmt = stmt.where(AuditLog.resource_type == f.resource_type)
    if f.resource_id:
        stmt = stmt.where(AuditLog.resource_id == f.resource_id)
    if f.date_from:
        stmt = stmt.where(AuditLog.created_at >= f.date_from)
    if f.date_to:
        stmt = stmt.where(AuditLog.created_at < f.date_to)
    return stmt


async def list_entries(
    session: AsyncSession, f: AuditFilter, page: PageParams
) -> tuple[list[AuditLog], str | None]:
    stmt = keyset_page(_filtered(f), [AuditLog.seq], page, descending=True, parse=[int])
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page, lambda r: [r.seq])


async def resource_timeline(
    session: AsyncSession, resource_type: str, resource_id: str, limit: int = 1000
) -> Sequence[AuditLog]:
    stmt = (
        _filtered(AuditFilter(resource_type=resource_type, resource_id=resource_id))
        .order_by(AuditLog.seq.asc())
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()


async def stream_entries(
    session: AsyncSession, f: AuditFilter, batch: int = 1000
) -> AsyncIterator[AuditLog]:
    """All matching rows, newest first, in keyset batches (for exports)."""
    page = PageParams(limit=batch)
    while True:
        rows, cursor = await list_entries(session, f, page)
        for row in rows:
            yield row
        if not cursor:
            return
        page = PageParams(limit=batch, cursor=cursor)


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AuditLog)) or 0)
