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

from sqlalchemy import DateTime, Integer, LargeBinary, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from niha.core.clock import utcnow
from niha.core.db import Base, Database, fetch
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
        database: Callable[[], Database],
        secret: Callable[[], str],
    ) -> None:
        self.app = app
        self.database = database
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
        db = self.database()
        snapshot = await _reserve(db, principal, key, digest)

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
                reply = stored or b""
                await send(
                    {
                        "type": "http.response.start",
                        "status": status_code,
                        "headers": [
                            (b"content-type", (content_type or "application/json").encode()),
                            (b"content-length", b"%d" % len(reply)),
                            (b"idempotent-replayed", b"true"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": reply})
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
            if status >= 500:
                await db.autocommit(_FORGET, {"principal": principal, "key": key})
            else:
                await db.autocommit(
                    _COMPLETE,
                    {
                        "principal": principal,
                        "key": key,
                        "status": status,
                        "content_type": captured["content_type"],
                        "body": b"".join(out),
                        "now": utcnow(),
                    },
                )


# Plain SQL, each statement a transaction of its own in the common case: every request
# with a key runs two, and through ORM sessions (statement building, cache keys, the
# bulk-update evaluator, the session's own transaction) they cost several times what
# PostgreSQL spends on them -- most of a market maker's order, who sends a key with each.
# Taking a key does not wait for its own WAL flush (``synchronous_commit`` off for that
# one statement): whatever the request then commits -- the order's group, the reply
# stored -- is flushed synchronously, and the WAL is flushed in order, so the key is
# durable whenever anything it guards is; lost in a crash before that, it guarded nothing.
_RESERVE = """
    INSERT INTO core_idempotency_key (principal, key, request_hash, created_at)
    SELECT %(principal)s, %(key)s, %(hash)s, %(now)s
    FROM (SELECT set_config('synchronous_commit', 'off', true)) AS unflushed
    ON CONFLICT DO NOTHING
    RETURNING true
"""
_HELD = """
    SELECT request_hash, status_code, content_type, body, created_at
    FROM core_idempotency_key WHERE principal = %(principal)s AND key = %(key)s
    FOR UPDATE
"""
_RETAKE = """
    UPDATE core_idempotency_key
    SET request_hash = %(hash)s, created_at = %(now)s, status_code = NULL,
        content_type = NULL, body = NULL, completed_at = NULL
    WHERE principal = %(principal)s AND key = %(key)s
"""
_COMPLETE = """
    UPDATE core_idempotency_key
    SET status_code = %(status)s, content_type = %(content_type)s, body = %(body)s,
        completed_at = %(now)s
    WHERE principal = %(principal)s AND key = %(key)s
"""
_FORGET = "DELETE FROM core_idempotency_key WHERE principal = %(principal)s AND key = %(key)s"

#: What a key already held answers: (request hash, status, content type, body).
Snapshot = tuple[str, int | None, str | None, bytes | None]


async def _reserve(db: Database, principal: str, key: str, digest: str) -> Snapshot | None:
    """Take ``key`` for this request (None: go on), or what holds it already.

    A key older than :data:`TTL`, or one whose first request died without an answer
    (in progress for more than :data:`STALE_IN_PROGRESS`), is taken again."""
    now = utcnow()
    params = {"principal": principal, "key": key, "hash": digest, "now": now}
    if await db.autocommit(_RESERVE, params):
        return None  # the common case: a new key, one statement
    async with db.maker() as session, session.begin():
        held = await fetch(session, _HELD, params)
        if not held:  # purged meanwhile: take it, unless another request just did
            if await fetch(session, _RESERVE, params):
                return None
            return digest, None, None, None  # in progress
        request_hash, status_code, content_type, body, created_at = held[0]
        if created_at < now - TTL or (status_code is None and created_at < now - STALE_IN_PROGRESS):
            await fetch(session, _RETAKE, params)
            return None
        return request_hash, status_code, content_type, body


async def purge_expired(session: AsyncSession) -> int:
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - TTL)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


__all__ = ["IdempotencyMiddleware", "IdempotencyRecord", "purge_expired", "select"]
