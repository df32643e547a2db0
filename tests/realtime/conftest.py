"""A real uvicorn server on a free port, in this test's event loop, plus a JSON client."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from niha.config import Settings
from niha.core.db import Database, unit_of_work
from niha.core.events import emit
from niha.realtime.hub import HubOptions
from tests.identity.factories import make_user, token_for
from tests.jobs.helpers import wait_until


class WsClient:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, **message: Any) -> None:
        await self.ws.send(json.dumps(message))

    async def send_raw(self, raw: str | bytes) -> None:
        await self.ws.send(raw)

    async def recv(self, timeout: float = 5.0, *, skip_pings: bool = True) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if not (skip_pings and message.get("type") == "ping"):
                return message

    async def auth(self, token: str) -> None:
        await self.send(op="auth", token=token)
        assert await self.recv() == {"type": "ready"}

    async def subscribe(self, channel: str) -> dict[str, Any]:
        await self.send(op="subscribe", channel=channel)
        return await self.recv()

    async def closed(self, timeout: float = 5.0) -> tuple[int | None, list[dict[str, Any]]]:
        """Read until the server closes; return the close code and what came before."""
        seen: list[dict[str, Any]] = []
        try:
            while True:
                seen.append(json.loads(await asyncio.wait_for(self.ws.recv(), timeout)))
        except ConnectionClosed:
            return self.ws.close_code, seen


class Server:
    def __init__(self, app: FastAPI, url: str) -> None:
        self.app = app
        self.url = url

    @asynccontextmanager
    async def client(self) -> AsyncIterator[WsClient]:
        async with connect(self.url, open_timeout=5, close_timeout=2) as ws:
            yield WsClient(ws)

    @property
    def db(self) -> Database:
        db: Database = self.app.state.db
        return db

    async def emit(
        self,
        channel: str,
        event: str = "test",
        data: dict[str, Any] | None = None,
        *,
        entity_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
    ) -> None:
        """Emit through the outbox in a committed unit of work (published after commit)."""
        async with unit_of_work(self.db.maker) as s:
            await emit(s, channel, event, data or {}, entity_id=entity_id, user_id=user_id)


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[Server]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="on", log_level="warning", ws_ping_interval=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            task.result()
        return server.started

    await wait_until(started, timeout=10)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Server(app, f"ws://127.0.0.1:{port}/api/v1/ws")
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@pytest.fixture
def ws_server(app: FastAPI) -> Callable[..., AbstractAsyncContextManager[Server]]:
    """``async with ws_server(ping_interval=..., auth_timeout=...) as server``."""

    def start(**options: Any) -> AbstractAsyncContextManager[Server]:
        app.state.realtime_options = HubOptions(**options)
        return serve(app)

    return start


@pytest.fixture
def tokens(session: AsyncSession, settings: Settings) -> Callable[..., Any]:
    """``await tokens(role=...) -> (user, token)`` for a new user."""

    async def make(**kwargs: Any) -> tuple[Any, str]:
        user = await make_user(session, **kwargs)
        return user, await token_for(session, settings, user)

    return make
