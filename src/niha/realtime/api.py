"""WebSocket ``/api/v1/ws``: channel-based event stream, signed in or (public market
data only) anonymous.

Protocol (JSON text frames):

- client first sends ``{"op": "auth", "token": "<access token>"}`` within
  ``auth_timeout`` seconds -> ``{"type": "ready"}``; sending it again later swaps the
  token (e.g. after a refresh), which also keeps the socket alive past the old
  token's expiry;
- or, a visitor without a login, ``{"op": "anonymous"}`` -> ``{"type": "ready",
  "anonymous": true}``: public market data only (``book.*``, ``trades.*``, ``ticker``;
  market data is public, like the REST API's); an ``auth`` later signs the socket in;
- ``{"op": "subscribe", "channel": "..."}`` -> ``{"type": "subscribed", "channel"}`` or
  ``{"type": "error", "code": "forbidden_channel" | "unknown_channel" |
  "not_authenticated", "channel"}`` (the last: a private channel on an anonymous socket);
- ``{"op": "unsubscribe", "channel": "..."}`` -> ``{"type": "unsubscribed", "channel"}``;
- server events: ``{"type": "event", "id", "channel", "event", "data", "ts"}``;
- heartbeat: the server sends ``{"type": "ping"}`` every ``ping_interval`` seconds and
  the client answers ``{"op": "pong"}`` before the next one.

The server closes the socket on: no auth in time or a pong missing (4408), a bad or
expired token (4401), repeated invalid messages (4400), a message flood (4429), a
client too slow to read its events or too many anonymous sockets (1013), shutdown (1001).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from niha.core.clock import utcnow
from niha.realtime.channels import ANONYMOUS, MAX_CHANNEL_LENGTH, check_subscribe
from niha.realtime.hub import (
    CLOSE_NOT_AUTHENTICATED,
    CLOSE_PROTOCOL,
    CLOSE_RATE_LIMITED,
    CLOSE_TIMEOUT,
    CLOSE_TRY_AGAIN_LATER,
    Authenticated,
    Connection,
    Hub,
    HubOptions,
)

log = structlog.get_logger("niha.realtime")

router = APIRouter(tags=["realtime"])

Authenticator = Callable[[str], Awaitable[Authenticated | None]]
MAX_TOKEN_LENGTH = 4096


def _error(code: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "code": code, **extra}


class _Session:
    """The protocol state machine of one socket (the reader side)."""

    def __init__(
        self, hub: Hub, connection: Connection, authenticate: Authenticator, options: HubOptions
    ) -> None:
        self.hub = hub
        self.conn = connection
        self.authenticate = authenticate
        self.options = options
        self.invalid = 0
        self.window_start = time.monotonic()
        self.window_count = 0
        self.awaiting_pong = False

    def _invalid(self, code: str, **extra: Any) -> None:
        self.invalid += 1
        self.conn.send(_error(code, **extra))
        if self.invalid >= self.options.max_invalid_messages:
            self.conn.close(CLOSE_PROTOCOL, "too many invalid messages")

    def _rate_ok(self) -> bool:
        now = time.monotonic()
        if now - self.window_start > self.options.rate_window:
            self.window_start, self.window_count = now, 0
        self.window_count += 1
        if self.window_count > self.options.max_messages_per_window:
            self.conn.close(CLOSE_RATE_LIMITED, "too many messages")
            return False
        return True

    async def handle(self, raw: str | bytes | None) -> None:
        if not self._rate_ok():
            return
        if not isinstance(raw, str):
            self._invalid("invalid_message", detail="send JSON text frames")
            return
        if len(raw) > self.options.max_message_bytes:
            self._invalid("invalid_message", detail="message too large")
            return
        try:
            message = json.loads(raw)
        except ValueError:
            self._invalid("invalid_message", detail="invalid JSON")
            return
        if not isinstance(message, dict) or not isinstance(message.get("op"), str):
            self._invalid("invalid_message", detail='expected an object with an "op"')
            return
        op = message["op"]
        if op == "auth":
            await self._auth(message.get("token"))
        elif op == "anonymous":
            self._anonymous()
        elif self.conn.auth is None:
            self.conn.send(_error("not_authenticated", detail='send {"op": "auth"} first'))
            self.conn.close(CLOSE_NOT_AUTHENTICATED, "not authenticated")
        elif op == "pong":
            self.awaiting_pong = False
        elif op == "subscribe":
            self._subscribe(message.get("channel"))
        elif op == "unsubscribe":
            self._unsubscribe(message.get("channel"))
        else:
            self._invalid("unknown_op", op=op[:50])

    async def _auth(self, token: object) -> None:
        result = None
        if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_LENGTH:
            try:
                result = await self.authenticate(token)
            except Exception:
                log.exception("ws_auth_failed")
        if result is None:
            self.conn.send(_error("not_authenticated", detail="invalid or expired token"))
            self.conn.close(CLOSE_NOT_AUTHENTICATED, "not authenticated")
            return
        self._become(result)
        self.conn.send({"type": "ready"})

    def _anonymous(self) -> None:
        if self.conn.auth is not None and self.conn.auth.anonymous:
            self.conn.send({"type": "ready", "anonymous": True})
            return
        if self.hub.anonymous_count >= self.options.max_anonymous:
            self.conn.send(_error("too_many_connections", detail="try again later"))
            self.conn.close(CLOSE_TRY_AGAIN_LATER, "too many anonymous sockets")
            return
        self._become(Authenticated(subscriber=ANONYMOUS, expires_at=None))
        self.conn.send({"type": "ready", "anonymous": True})

    def _become(self, auth: Authenticated) -> None:
        self.conn.auth = auth
        # A new token may belong to someone else (or to nobody): keep only what they may see.
        for channel in sorted(self.conn.channels):
            code = check_subscribe(auth.subscriber, channel)
            if code is not None:
                self.hub.unsubscribe(self.conn, channel)
                self.conn.send({"type": "unsubscribed", "channel": channel, "reason": code})

    def _channel(self, value: object) -> str | None:
        if isinstance(value, str) and 0 < len(value) <= MAX_CHANNEL_LENGTH:
            return value
        self._invalid("invalid_message", detail='"channel" must be a non-empty string')
        return None

    def _subscribe(self, value: object) -> None:
        channel = self._channel(value)
        subscriber = self.conn.subscriber
        if channel is None or subscriber is None:
            return
        code = check_subscribe(subscriber, channel)
        if code is not None:
            self.conn.send(_error(code, channel=channel))
            return
        if (
            channel not in self.conn.channels
            and len(self.conn.channels) >= self.options.max_subscriptions
        ):
            self.conn.send(_error("too_many_subscriptions", channel=channel))
            return
        self.hub.subscribe(self.conn, channel)
        self.conn.send({"type": "subscribed", "channel": channel})

    def _unsubscribe(self, value: object) -> None:
        channel = self._channel(value)
        if channel is None:
            return
        self.hub.unsubscribe(self.conn, channel)
        self.conn.send({"type": "unsubscribed", "channel": channel})

    async def heartbeat(self) -> None:
        interval = self.options.ping_interval
        while not self.conn.closed.is_set():
            await asyncio.sleep(interval)
            auth = self.conn.auth
            if auth is not None and auth.expires_at is not None and auth.expires_at <= utcnow():
                self.conn.send(_error("token_expired", detail="send a fresh token with auth"))
                self.conn.close(CLOSE_NOT_AUTHENTICATED, "token expired")
                return
            if self.awaiting_pong:
                self.conn.close(CLOSE_TIMEOUT, "pong timeout")
                return
            self.awaiting_pong = True
            self.conn.send({"type": "ping"})


async def _reader(websocket: WebSocket, session: _Session) -> None:
    conn, options = session.conn, session.options
    deadline = time.monotonic() + options.auth_timeout
    while not conn.closed.is_set():
        timeout = None if conn.auth is not None else deadline - time.monotonic()
        if timeout is not None and timeout <= 0:
            conn.send(_error("auth_timeout"))
            conn.close(CLOSE_TIMEOUT, "authentication timeout")
            return
        try:
            message = await asyncio.wait_for(websocket.receive(), timeout)
        except TimeoutError:
            continue
        if message["type"] == "websocket.disconnect":
            conn.close(None, "client disconnected")
            return
        raw = message.get("text")
        await session.handle(raw if raw is not None else message.get("bytes"))


async def _writer(websocket: WebSocket, conn: Connection) -> None:
    while True:
        message = await conn.queue.get()
        if message is None:
            return
        try:
            await websocket.send_text(json.dumps(message, separators=(",", ":"), default=str))
        except (WebSocketDisconnect, RuntimeError, OSError):
            conn.close(None, "client disconnected")
            return


def hub_of(app: FastAPI) -> Hub | None:
    hub: Hub | None = getattr(app.state, "realtime_hub", None)
    return hub


@router.websocket("/ws")
async def websocket_stream(websocket: WebSocket) -> None:
    hub = hub_of(websocket.app)
    authenticate: Authenticator | None = getattr(websocket.app.state, "ws_authenticate", None)
    if hub is None or authenticate is None:  # the runtime is not started
        await websocket.close(code=1011)
        return
    await websocket.accept()
    conn = Connection(hub.options.queue_size)
    session = _Session(hub, conn, authenticate, hub.options)
    hub.register(conn)
    writer = asyncio.create_task(_writer(websocket, conn))
    helpers = [
        asyncio.create_task(_reader(websocket, session)),
        asyncio.create_task(session.heartbeat()),
    ]
    try:
        await conn.closed.wait()
    finally:
        hub.unregister(conn)
        for task in helpers:
            task.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
        # Flush what is queued (e.g. the error explaining the close), briefly.
        try:
            conn.queue.put_nowait(None)
            await asyncio.wait_for(asyncio.shield(writer), 2.0)
        except (asyncio.QueueFull, TimeoutError):
            pass
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await writer
        if conn.close_code is not None and websocket.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close(code=conn.close_code, reason=conn.close_reason)
