"""Staff read access to the audit trail: search, per-resource timeline, CSV export."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from niha.audit import service
from niha.audit.schemas import AuditEntryOut, AuditTimeline
from niha.core.clock import isoformat_z, utcnow
from niha.core.db import Database
from niha.core.deps import SessionDep, get_db
from niha.core.pagination import Page, PageParams, page_params
from niha.identity.access import Permission, Principal, require

router = APIRouter(prefix="/admin/audit-logs", tags=["audit"])

AuditReader = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]


def audit_filter(
    actor_id: Annotated[uuid.UUID | None, Query(description="acting user id")] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    resource_type: Annotated[str | None, Query(max_length=100)] = None,
    resource_id: Annotated[str | None, Query(max_length=200)] = None,
    date_from: Annotated[datetime | None, Query(description="inclusive, ISO 8601")] = None,
    date_to: Annotated[datetime | None, Query(description="exclusive, ISO 8601")] = None,
) -> service.AuditFilter:
    return service.AuditFilter(
        actor_id=actor_id,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        date_from=date_from,
        date_to=date_to,
    )


Filter = Annotated[service.AuditFilter, Depends(audit_filter)]


@router.get("", response_model=Page[AuditEntryOut])
async def list_audit_logs(
    _: AuditReader,
    session: SessionDep,
    f: Filter,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[AuditEntryOut]:
    rows, cursor = await service.list_entries(session, f, page)
    return Page(items=[AuditEntryOut.model_validate(r) for r in rows], next_cursor=cursor)


CSV_COLUMNS = [
    "seq",
    "created_at",
    "actor_id",
    "actor_email",
    "action",
    "resource_type",
    "resource_id",
    "ip",
    "user_agent",
    "before",
    "after",
    "hash",
]


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection)."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_audit_logs(
    _: AuditReader,
    f: Filter,
    db: Annotated[Database, Depends(get_db)],
) -> StreamingResponse:
    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        async with db.maker() as session:
            async for row in service.stream_entries(session, f):
                writer.writerow(
                    [
                        row.seq,
                        isoformat_z(row.created_at),
                        row.actor_id or "",
                        _csv_safe(row.actor_email or ""),
                        _csv_safe(row.action),
                        _csv_safe(row.resource_type),
                        _csv_safe(row.resource_id or ""),
                        row.ip or "",
                        _csv_safe(row.user_agent or ""),
                        json.dumps(row.before, sort_keys=True) if row.before is not None else "",
                        json.dumps(row.after, sort_keys=True) if row.after is not None else "",
                        row.hash,
                    ]
                )
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    filename = f"audit-log-{utcnow().strftime('%Y%m%dT%H%M%SZ')}.csv"
    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/{resource_type}/{resource_id}", response_model=AuditTimeline)
async def resource_timeline(
    _: AuditReader,
    session: SessionDep,
    resource_type: str,
    resource_id: str,
) -> AuditTimeline:
    rows = await service.resource_timeline(session, resource_type[:100], resource_id[:200])
    return AuditTimeline(items=[AuditEntryOut.model_validate(r) for r in rows])
