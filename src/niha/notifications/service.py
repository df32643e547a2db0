"""Transactional email: queue in the caller's transaction, deliver from a job.

:func:`queue_email` renders the template and inserts a ``notifications_email`` row in
the caller's transaction; once it commits, the delivery job is deferred (a rolled-back
request sends nothing). Delivery claims due rows with ``FOR UPDATE SKIP LOCKED`` so two
workers never send the same email, retries transient failures with exponential backoff
and gives up (status ``failed``) after :data:`MAX_ATTEMPTS`. A periodic sweep delivers
anything due that no job picked up (e.g. the process died before deferring).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core.clock import utcnow
from niha.core.errors import Unprocessable
from niha.core.ids import new_id
from niha.jobs.app import defer_after_commit
from niha.notifications.backends import DeliveryError, EmailBackend, OutgoingEmail
from niha.notifications.models import EmailMessageRow
from niha.notifications.rendering import render

log = structlog.get_logger("niha.notifications")

DELIVER_JOB = "notifications.deliver_email"
SWEEP_JOB = "notifications.email_sweep"
MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 30  # 30 s, 1 min, 2 min, 4 min, 8 min between attempts
MAX_ADDRESS_LENGTH = 320


class InvalidEmailAddress(Unprocessable):
    code = "invalid_email_address"
    title = "Invalid email address"


def _check_address(to: str) -> str:
    address = to.strip()
    local, at, domain = address.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(address) > MAX_ADDRESS_LENGTH
        or any(ch.isspace() or ch in "<>,;\"'" for ch in address)
    ):
        raise InvalidEmailAddress(f"cannot send email to {to[:100]!r}")
    return address


async def queue_email(
    session: AsyncSession, *, to: str, template: str, context: dict[str, Any]
) -> None:
    """Render ``template`` with ``context`` and queue it for ``to`` in this transaction."""
    address = _check_address(to)
    rendered = render(template, context)
    now = utcnow()
    row = EmailMessageRow(
        id=new_id(),
        to_address=address,
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        template=template,
        status="queued",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    defer_after_commit(session, DELIVER_JOB, email_id=str(row.id))


async def queued_emails(session: AsyncSession, to: str | None = None) -> list[EmailMessageRow]:
    """Emails queued so far (any delivery status), oldest first; for tests and support."""
    query = select(EmailMessageRow).order_by(EmailMessageRow.created_at, EmailMessageRow.id)
    if to is not None:
        query = query.where(func.lower(EmailMessageRow.to_address) == to.strip().lower())
    return list((await session.scalars(query)).all())


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    return timedelta(seconds=BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))


@dataclass
class DeliveryReport:
    sent: list[uuid.UUID] = field(default_factory=list)
    retrying: list[uuid.UUID] = field(default_factory=list)
    failed: list[uuid.UUID] = field(default_factory=list)
    retry_at: dict[uuid.UUID, datetime] = field(default_factory=dict)


async def deliver_due(
    session: AsyncSession,
    settings: Settings,
    backend: EmailBackend,
    *,
    email_id: uuid.UUID | None = None,
    limit: int = 100,
) -> DeliveryReport:
    """Send the due queued emails (or just ``email_id`` when it is due), in this transaction."""
    now = utcnow()
    query = (
        select(EmailMessageRow)
        .where(EmailMessageRow.status == "queued", EmailMessageRow.next_attempt_at <= now)
        .order_by(EmailMessageRow.next_attempt_at, EmailMessageRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if email_id is not None:
        query = query.where(EmailMessageRow.id == email_id)
    report = DeliveryReport()
    for row in (await session.scalars(query)).all():
        await _attempt(row, settings, backend, report)
    await session.flush()
    return report


async def _attempt(
    row: EmailMessageRow, settings: Settings, backend: EmailBackend, report: DeliveryReport
) -> None:
    email = OutgoingEmail(
        id=row.id,
        sender=settings.email_from,
        to=row.to_address,
        subject=row.subject,
        text=row.text_body,
        html=row.html_body,
    )
    row.attempts += 1
    try:
        await backend.send(email)
    except Exception as exc:
        permanent = isinstance(exc, DeliveryError) and exc.permanent
        if not isinstance(exc, DeliveryError):
            log.exception("email_backend_crashed", email_id=str(row.id), backend=backend.name)
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if permanent or row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
            report.failed.append(row.id)
            log.warning(
                "email_failed", email_id=str(row.id), attempts=row.attempts, error=row.last_error
            )
        else:
            row.next_attempt_at = utcnow() + backoff(row.attempts)
            report.retrying.append(row.id)
            report.retry_at[row.id] = row.next_attempt_at
            log.info(
                "email_retry_scheduled",
                email_id=str(row.id),
                attempts=row.attempts,
                error=row.last_error,
            )
        return
    row.status = "sent"
    row.sent_at = utcnow()
    row.last_error = None
    report.sent.append(row.id)
    log.info("email_sent", email_id=str(row.id), backend=backend.name, template=row.template)
