"""Queueing and delivering email: outbox files, a real SMTP server, Resend, retries."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core import clock
from niha.core.db import Database, unit_of_work
from niha.notifications.backends import (
    DeliveryError,
    OutboxBackend,
    OutgoingEmail,
    ResendBackend,
    backend_for,
)
from niha.notifications.models import EmailMessageRow
from niha.notifications.service import (
    MAX_ATTEMPTS,
    InvalidEmailAddress,
    backoff,
    deliver_due,
    queue_email,
    queued_emails,
)
from tests.jobs.helpers import free_port

RESET_CONTEXT = {"name": "Ann", "link": "https://niha.example/reset/tok-123", "expires_minutes": 30}


async def queue_reset(session: AsyncSession, to: str = "ann@example.com") -> EmailMessageRow:
    await queue_email(session, to=to, template="password_reset", context=RESET_CONTEXT)
    return (await queued_emails(session, to=to))[-1]


def parse(data: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def parts(message: email.message.EmailMessage) -> dict[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    found: dict[str, str] = {}
    for part in message.iter_parts():
        assert isinstance(part, email.message.EmailMessage)
        found[part.get_content_type()] = part.get_content()
    return found


class Failing:
    name = "failing"

    def __init__(self, permanent: bool = False) -> None:
        self.calls = 0
        self.permanent = permanent

    async def send(self, message: OutgoingEmail) -> None:
        self.calls += 1
        raise DeliveryError("mail server on fire", permanent=self.permanent)


class Recording:
    name = "recording"

    def __init__(self, delay: float = 0.0) -> None:
        self.sent: list[OutgoingEmail] = []
        self.delay = delay

    async def send(self, message: OutgoingEmail) -> None:
        await asyncio.sleep(self.delay)
        self.sent.append(message)


async def test_queue_email_stores_a_rendered_row(session: AsyncSession) -> None:
    row = await queue_reset(session, "Ann@Example.com")
    assert row.status == "queued" and row.attempts == 0
    assert row.template == "password_reset"
    assert row.subject == "Reset your Niha password"
    assert "tok-123" in row.text_body and "tok-123" in row.html_body
    assert row.next_attempt_at <= clock.utcnow()
    assert [r.id for r in await queued_emails(session, to="ann@example.com")] == [row.id]


@pytest.mark.parametrize(
    "bad", ["", "no-at-sign", "a@b", "a b@example.com", "x@example.com\r\nBcc: y@z.com", "@x.io"]
)
async def test_queue_email_refuses_bad_addresses(session: AsyncSession, bad: str) -> None:
    with pytest.raises(InvalidEmailAddress) as info:
        await queue_email(session, to=bad, template="password_reset", context=RESET_CONTEXT)
    assert info.value.code == "invalid_email_address" and info.value.status == 422


async def test_outbox_backend_writes_a_parseable_eml(
    session: AsyncSession, settings: Settings
) -> None:
    row = await queue_reset(session)
    report = await deliver_due(session, settings, backend_for(settings))
    assert report.sent == [row.id]
    files = list(settings.outbox_dir.iterdir())
    assert [f.name for f in files if f.name.endswith(".eml")] == [f.name for f in files]
    assert len(files) == 1 and files[0].name.endswith(f"_{row.id}.eml")
    message = parse(files[0].read_bytes())
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Reset your Niha password"
    assert message["Message-ID"] == f"<{row.id}@niha.local>"
    body = parts(message)
    assert "https://niha.example/reset/tok-123" in body["text/plain"]
    assert "https://niha.example/reset/tok-123" in body["text/html"]
    await session.refresh(row)
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1


class Collector:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


async def test_smtp_backend_delivers_to_a_real_smtp_server(
    session: AsyncSession, settings: Settings
) -> None:
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp = settings.model_copy(
            update={"email_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port}
        )
        row = await queue_reset(session)
        report = await deliver_due(session, smtp, backend_for(smtp))
    finally:
        controller.stop()
    assert report.sent == [row.id]
    assert len(collector.envelopes) == 1
    envelope = collector.envelopes[0]
    assert envelope.rcpt_tos == ["ann@example.com"]
    assert envelope.mail_from == "no-reply@niha.local"
    body = parts(parse(envelope.content))
    assert "https://niha.example/reset/tok-123" in body["text/plain"]
    assert "#0b1f3a" in body["text/html"]


async def test_smtp_server_down_is_a_retryable_failure(
    session: AsyncSession, settings: Settings
) -> None:
    smtp = settings.model_copy(
        update={"email_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": free_port()}
    )
    row = await queue_reset(session)
    report = await deliver_due(session, smtp, backend_for(smtp))
    assert report.retrying == [row.id]
    await session.refresh(row)
    assert row.status == "queued" and row.attempts == 1 and row.last_error


async def test_resend_backend_posts_the_email(session: AsyncSession, settings: Settings) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"id": "re_123"})

    resend = settings.model_copy(
        update={"resend_api_key": "re_test_key", "resend_api_url": "https://resend.test/emails"}
    )
    backend = ResendBackend(
        resend.resend_api_url, resend.resend_api_key, transport=httpx.MockTransport(handler)
    )
    row = await queue_reset(session)
    report = await deliver_due(session, resend, backend)
    assert report.sent == [row.id]
    (request,) = requests
    assert request.method == "POST" and str(request.url) == "https://resend.test/emails"
    assert request.headers["authorization"] == "Bearer re_test_key"
    assert request.headers["idempotency-key"] == str(row.id)
    payload = json.loads(request.content)
    assert payload["to"] == ["ann@example.com"]
    assert payload["from"] == settings.email_from
    assert payload["subject"] == "Reset your Niha password"
    assert "tok-123" in payload["text"] and "tok-123" in payload["html"]


@pytest.mark.parametrize(("status", "outcome"), [(422, "failed"), (500, "queued"), (429, "queued")])
async def test_resend_errors_permanent_or_retryable(
    session: AsyncSession, settings: Settings, status: int, outcome: str
) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json={"error": "x"}))
    backend = ResendBackend("https://resend.test/emails", "key", transport=transport)
    row = await queue_reset(session)
    await deliver_due(session, settings, backend)
    await session.refresh(row)
    assert row.status == outcome and row.attempts == 1
    assert str(status) in (row.last_error or "")


async def test_failing_backend_retries_with_backoff_then_fails(
    session: AsyncSession, settings: Settings
) -> None:
    backend = Failing()
    row = await queue_reset(session)
    start = clock.utcnow()
    clock.freeze(start)
    try:
        waits = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            # Not due yet: nothing is attempted.
            report = await deliver_due(session, settings, backend)
            if attempt > 1:
                assert report.sent == report.retrying == report.failed == []
                clock.freeze(row.next_attempt_at)
                report = await deliver_due(session, settings, backend)
            await session.refresh(row)
            assert row.attempts == attempt and backend.calls == attempt
            if attempt < MAX_ATTEMPTS:
                assert row.status == "queued" and report.retrying == [row.id]
                waits.append(row.next_attempt_at - clock.utcnow())
            else:
                assert row.status == "failed" and report.failed == [row.id]
        assert waits == [backoff(n) for n in range(1, MAX_ATTEMPTS)]
        assert waits[1] == 2 * waits[0] and waits[-1] > waits[0]
        assert "mail server on fire" in (row.last_error or "")
        # A failed email is never tried again.
        clock.freeze(clock.utcnow() + timedelta(days=1))
        await deliver_due(session, settings, backend)
        assert backend.calls == MAX_ATTEMPTS
    finally:
        clock.freeze(None)


async def test_permanent_failure_is_not_retried(session: AsyncSession, settings: Settings) -> None:
    backend = Failing(permanent=True)
    row = await queue_reset(session)
    report = await deliver_due(session, settings, backend)
    assert report.failed == [row.id]
    await session.refresh(row)
    assert row.status == "failed" and row.attempts == 1


async def test_outbox_write_is_atomic_no_temp_files_left(tmp_path: Path) -> None:
    backend = OutboxBackend(tmp_path / "out")
    message = OutgoingEmail(
        id=uuid.uuid4(),
        sender="Niha <n@niha.local>",
        to="a@example.com",
        subject="s",
        text="t",
        html="<p>h</p>",
    )
    await backend.send(message)
    await backend.send(message)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 2 and all(n.endswith(".eml") and not n.startswith(".") for n in names)


async def test_two_deliverers_never_send_the_same_email(
    fresh_database_url: str, settings: Settings
) -> None:
    """Due rows are claimed FOR UPDATE SKIP LOCKED: concurrent runs split the work."""
    db = Database(fresh_database_url, pool_size=4)
    try:
        async with unit_of_work(db.maker) as s:
            for n in range(6):
                await queue_email(
                    s, to=f"u{n}@example.com", template="password_reset", context=RESET_CONTEXT
                )
        slow = Recording(delay=0.05)

        async def run() -> None:
            async with unit_of_work(db.maker) as s:
                await deliver_due(s, settings, slow, limit=100)

        await asyncio.wait_for(asyncio.gather(run(), run(), run()), 30)
        assert sorted(m.to for m in slow.sent) == sorted(f"u{n}@example.com" for n in range(6))
        async with db.maker() as s:
            statuses = (
                await s.execute(
                    select(EmailMessageRow.status, func.count()).group_by(EmailMessageRow.status)
                )
            ).all()
        assert dict(statuses) == {"sent": 6}
    finally:
        await db.dispose()


async def test_rolled_back_transaction_queues_and_sends_nothing(
    fresh_database_url: str, settings: Settings
) -> None:
    db = Database(fresh_database_url, pool_size=2)
    try:
        with pytest.raises(RuntimeError, match="boom"):
            async with unit_of_work(db.maker) as s:
                await queue_email(
                    s, to="ann@example.com", template="password_reset", context=RESET_CONTEXT
                )
                raise RuntimeError("boom")
        async with db.maker() as s:
            assert await queued_emails(s) == []
            jobs = await s.scalar(text("SELECT count(*) FROM procrastinate_jobs"))
        assert jobs == 0
        backend = Recording()
        async with unit_of_work(db.maker) as s:
            await deliver_due(s, settings, backend)
        assert backend.sent == []
    finally:
        await db.dispose()
