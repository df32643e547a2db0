"""The hub of one process: its WebSocket connections and who subscribed to what.

The pub/sub backend hands every committed event to :meth:`Hub.dispatch`, which queues
it on each local connection subscribed to the event's channel that may receive it
(:func:`niha.realtime.channels.may_receive`). Each connection has one writer draining a
bounded queue; a client too slow to keep up is disconnected rather than buffered forever.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from niha.core.events import Event
from niha.realtime.channels import ANONYMOUS, Subscriber, may_receive

# WebSocket close codes (4000-4999 are the application's).
CLOSE_GOING_AWAY = 1001
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_PROTOCOL = 4400
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_TIMEOUT = 4408
CLOSE_RATE_LIMITED = 4429


@dataclass(frozen=True)
class HubOptions:
    ping_interval: float = 20.0
    auth_timeout: float = 10.0
    max_invalid_messages: int = 5
    max_message_bytes: int = 4096
    max_subscriptions: int = 100
    queue_size: int = 1000
    rate_window: float = 10.0
    max_messages_per_window: int = 200
    #: Sockets of visitors without a login (public market data) one process keeps.
    max_anonymous: int = 500


@dataclass(frozen=True)
class Authenticated:
    subscriber: Subscriber
    expires_at: datetime | None

    @property
    def anonymous(self) -> bool:
        return self.subscriber is ANONYMOUS


class Connection:
    def __init__(self, queue_size: int) -> None:
        self.id = uuid.uuid4().hex
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(queue_size)
        self.auth: Authenticated | None = None
        self.channels: set[str] = set()
        self.close_code: int | None = None
        self.close_reason = ""
        self.closed = asyncio.Event()

    @property
    def subscriber(self) -> Subscriber | None:
        return self.auth.subscriber if self.auth else None

    def send(self, message: dict[str, Any]) -> bool:
        """Queue ``message`` for the writer; a full queue closes the connection."""
        if self.closed.is_set():
            return False
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.close(CLOSE_TRY_AGAIN_LATER, "client too slow")
            return False
        return True

    def close(self, code: int | None, reason: str = "") -> None:
        """Ask the connection to end (``code`` ``None``: the client went away)."""
        if not self.closed.is_set():
            self.close_code, self.close_reason = code, reason
            self.closed.set()


class Hub:
    def __init__(self, options: HubOptions | None = None) -> None:
        self.options = options or HubOptions()
        self._connections: set[Connection] = set()
        self._by_channel: dict[str, set[Connection]] = {}

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    @property
    def anonymous_count(self) -> int:
        return sum(1 for c in self._connections if c.auth is not None and c.auth.anonymous)

    def register(self, connection: Connection) -> None:
        self._connections.add(connection)

    def unregister(self, connection: Connection) -> None:
        self._connections.discard(connection)
        for channel in list(connection.channels):
            self.unsubscribe(connection, channel)

    def subscribe(self, connection: Connection, channel: str) -> None:
        connection.channels.add(channel)
        self._by_channel.setdefault(channel, set()).add(connection)

    def unsubscribe(self, connection: Connection, channel: str) -> None:
        connection.channels.discard(channel)
        members = self._by_channel.get(channel)
        if members is not None:
            members.discard(connection)
            if not members:
                del self._by_channel[channel]

    def subscribers(self, channel: str) -> int:
        return len(self._by_channel.get(channel, ()))

    async def dispatch(self, event: Event) -> int:
        """Queue ``event`` on every local connection allowed to see it; return how many."""
        message = event.to_message()
        delivered = 0
        for connection in list(self._by_channel.get(event.channel, ())):
            subscriber = connection.subscriber
            if subscriber is not None and may_receive(subscriber, event):
                delivered += connection.send(message)
        return delivered

    def close_all(self, code: int = CLOSE_GOING_AWAY, reason: str = "server shutting down") -> None:
        for connection in list(self._connections):
            connection.close(code, reason)
