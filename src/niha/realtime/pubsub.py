"""Pub/sub backends carrying committed events to every process's hub.

``memory`` delivers in-process (one process, or tests); ``redis`` publishes each event
on the Redis channel ``niha:events`` and every process's listener hands what it receives
to its local hub, so a client connected to process B sees an event committed by A.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any, Protocol

import redis.asyncio as aioredis
import structlog

from niha.core.events import Event

log = structlog.get_logger("niha.realtime")

REDIS_CHANNEL = "niha:events"

Handler = Callable[[Event], Awaitable[object]]


class PubSub(Protocol):
    name: str

    async def start(self, handler: Handler) -> None: ...

    async def publish(self, event: Event) -> None: ...

    async def stop(self) -> None: ...


def encode_event(event: Event) -> str:
    return json.dumps(asdict(event), separators=(",", ":"), default=str)


def decode_event(raw: str | bytes) -> Event:
    data: dict[str, Any] = json.loads(raw)
    return Event(
        channel=str(data["channel"]),
        event=str(data["event"]),
        data=dict(data.get("data") or {}),
        id=str(data["id"]),
        ts=str(data["ts"]),
        entity_id=data.get("entity_id"),
        user_id=data.get("user_id"),
        extra=dict(data.get("extra") or {}),
    )


class MemoryPubSub:
    name = "memory"

    def __init__(self) -> None:
        self._handler: Handler | None = None

    async def start(self, handler: Handler) -> None:
        self._handler = handler

    async def publish(self, event: Event) -> None:
        if self._handler is not None:
            await self._handler(event)

    async def stop(self) -> None:
        self._handler = None


class RedisPubSub:
    """Publishes on, and listens to, one Redis channel; reconnects with backoff."""

    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        channel: str = REDIS_CHANNEL,
        ready_timeout: float = 5.0,
        max_backoff: float = 5.0,
    ) -> None:
        self.url = url
        self.channel = channel
        self.ready_timeout = ready_timeout
        self.max_backoff = max_backoff
        self._client: aioredis.Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self, handler: Handler) -> None:
        self._client = aioredis.Redis.from_url(
            self.url, socket_connect_timeout=5, health_check_interval=30
        )
        self._task = asyncio.create_task(self._listen(handler), name="niha-redis-pubsub")
        try:
            await asyncio.wait_for(self._ready.wait(), self.ready_timeout)
        except TimeoutError:
            log.warning("redis_pubsub_not_ready", url=_redacted(self.url))

    async def _listen(self, handler: Handler) -> None:
        assert self._client is not None
        backoff = 0.1
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                async for message in pubsub.listen():
                    if message.get("type") == "subscribe":
                        # Confirmed: from here on, nothing published is missed.
                        self._ready.set()
                        backoff = 0.1
                        continue
                    if message.get("type") != "message":
                        continue
                    try:
                        event = decode_event(message["data"])
                    except (ValueError, KeyError, TypeError):
                        log.warning("redis_pubsub_bad_message")
                        continue
                    try:
                        await handler(event)
                    except Exception:
                        log.exception("realtime_dispatch_failed", channel=event.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redis_pubsub_error", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def publish(self, event: Event) -> None:
        if self._client is None:
            raise RuntimeError("RedisPubSub.publish before start")
        await self._client.publish(self.channel, encode_event(event))

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


def _redacted(url: str) -> str:
    _, at, tail = url.rpartition("@")
    return f"redis://***@{tail}" if at else url


def make_pubsub(redis_url: str | None) -> PubSub:
    return RedisPubSub(redis_url) if redis_url else MemoryPubSub()
