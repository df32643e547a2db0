"""``Idempotency-Key`` for POSTs: a replay returns the first reply and changes nothing.

Keys are scoped to the caller (user id from the bearer token, else the client IP) and
remembered for 24 hours. Same key + same request -> the stored reply (header
``Idempotent-Replayed: true``); same key + different request -> 422
``idempotency_key_reused``; same key while the first is still running -> 409
``idempotency_in_progress``. Server errors (5xx) are not stored so the client may retry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, LargeBinary, String, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from niha.core.clock import utcnow
from niha.core.db import Base
from niha.core.errors import problem
from niha.core.security import decode_access_token

HEADER = b"idempotency-key"
# Auth replies carry fresh credentials and must run their checks every time
# (rotation, lockout); they are never stored or replayed.
EXCLUDED_PREFIXES = ("/api/v1/auth/",)
TTL = timedelta(hours=24)
STALE_IN_PROGRESS = timedelta(minutes=2)
MAX_BODY = 1024 * 1024


class IdempotencyRecord(Base):
    __tablename__ = "core_idempotency_key"

    principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        sessionmaker: Callable[[], async_sessionmaker[AsyncSession]],
        secret: Callable[[], str],
    ) -> None:
        self.app = app
        self.sessionmaker = sessionmaker
        self.secret = secret

    def _principal(self, scope: Scope, headers: dict[bytes, bytes]) -> str:
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("bearer "):
            claims = decode_access_token(self.secret(), auth[7:].strip())
            if claims:
                return f"user:{claims.user_id}"
        api_key = headers.get(b"x-api-key", b"").decode("latin-1")
        if api_key:
            return "key:" + hashlib.sha256(api_key.encode()).hexdigest()[:32]
        client = scope.get("client")
        return f"ip:{client[0] if client else 'unknown'}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"].startswith(EXCLUDED_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > 200:
            await problem(
                400,
                "invalid_idempotency_key",
                "Invalid Idempotency-Key",
                "Idempotency-Key must be 1 to 200 characters",
            )(scope, receive, send)
            return

        # Read the whole body so it can be hashed and then replayed to the app.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                await problem(413, "payload_too_large", "Payload too large")(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        digest = hashlib.sha256(
            scope["method"].encode() + b" " + scope["path"].encode() + b"\n" + body
        ).hexdigest()
        principal = self._principal(scope, headers)
        maker = self.sessionmaker()
        now = utcnow()

        async with maker() as session, session.begin():
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.principal == principal,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.created_at < now - TTL,
                )
            )
            inserted = await session.execute(
                insert(IdempotencyRecord)
                .values(principal=principal, key=key, request_hash=digest, created_at=now)
                .on_conflict_do_nothing()
                .returning(IdempotencyRecord.key)
            )
            fresh = inserted.first() is not None
            existing = None
            if not fresh:
                existing = await session.get(
                    IdempotencyRecord, (principal, key), with_for_update=True
                )
                if (
                    existing
                    and existing.status_code is None
                    and existing.created_at < now - STALE_IN_PROGRESS
                ):
                    # The first attempt died without an answer; let this one run.
                    existing.created_at, existing.request_hash = now, digest
                    fresh = True
                    existing = None
            snapshot = None
            if existing is not None:
                snapshot = (
                    existing.request_hash,
                    existing.status_code,
                    existing.content_type,
                    existing.body,
                )

        if snapshot is not None:
            request_hash, status_code, content_type, stored = snapshot
            if request_hash != digest:
                await problem(
                    422,
                    "idempotency_key_reused",
                    "Idempotency-Key reused",
                    "This Idempotency-Key was already used with a different request",
                )(scope, receive, send)
            elif status_code is None:
                await problem(
                    409,
                    "idempotency_in_progress",
                    "Request in progress",
                    "A request with this Idempotency-Key is still being processed",
                )(scope, receive, send)
            else:
                await send(
                    {
                        "type": "http.response.start",
                        "status": status_code,
                        "headers": [
                            (b"content-type", (content_type or "application/json").encode()),
                            (b"idempotent-replayed", b"true"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": stored or b""})
            return

        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        captured: dict[str, object] = {"status": 500, "content_type": None}
        out: list[bytes] = []

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        captured["content_type"] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        finally:
            status = int(captured["status"])  # type: ignore[call-overload]
            async with maker() as session, session.begin():
                if status >= 500:
                    await session.execute(
                        delete(IdempotencyRecord).where(
                            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
                        )
                    )
                else:
                    await session.execute(
                        update(IdempotencyRecord)
                        .where(
                            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
                        )
                        .values(
                            status_code=status,
                            content_type=captured["content_type"],
                            body=b"".join(out),
                            completed_at=utcnow(),
                        )
                    )


async def purge_expired(session: AsyncSession) -> int:
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - TTL)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


__all__ = ["IdempotencyMiddleware", "IdempotencyRecord", "purge_expired", "select"]
