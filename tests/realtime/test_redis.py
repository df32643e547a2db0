"""Redis fan-out: an event committed in one process reaches a socket on another."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import httpx
import pytest

from niha.config import Settings
from niha.core.db import Database, unit_of_work
from niha.core.events import Event
from niha.realtime.pubsub import RedisPubSub, decode_event, encode_event
from tests.identity.factories import make_user, token_for
from tests.jobs.helpers import free_port, running, subprocess_env, uvicorn_args, wait_http_ok
from tests.realtime.conftest import WsClient


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("NIHA_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("NIHA_TEST_REDIS_URL must be set in CI (the Redis fan-out tests need it)")
        pytest.skip("NIHA_TEST_REDIS_URL is not set: Redis fan-out tests skipped")
    return url


def test_event_encoding_round_trips() -> None:
    event = Event("orders", "filled", {"q": 5}, str(uuid.uuid4()), "2026-11-29T00:00:00Z", "e", "u")
    assert decode_event(encode_event(event)) == event


async def test_redis_pubsub_delivers_to_every_listener(redis_url: str) -> None:
    first, second = RedisPubSub(redis_url), RedisPubSub(redis_url)
    got: dict[str, list[Event]] = {"first": [], "second": []}

    def collector(name: str):  # type: ignore[no-untyped-def]
        async def handle(event: Event) -> None:
            got[name].append(event)

        return handle

    await first.start(collector("first"))
    await second.start(collector("second"))
    try:
        marker = str(uuid.uuid4())
        event = Event("ticker", "tick", {"m": marker}, marker, "2026-11-29T00:00:00Z")
        await first.publish(event)
        for _ in range(100):
            mine = {k: [e for e in v if e.id == marker] for k, v in got.items()}
            if all(mine.values()):
                break
            await asyncio.sleep(0.05)
        assert mine == {"first": [event], "second": [event]}
    finally:
        await first.stop()
        await second.stop()


@pytest.mark.slow
async def test_event_committed_in_process_a_reaches_a_socket_on_process_b(
    redis_url: str, fresh_database_url: str, settings: Settings, tmp_path: Path
) -> None:
    from websockets.asyncio.client import connect

    db = Database(fresh_database_url, pool_size=2)
    try:
        async with unit_of_work(db.maker) as s:
            user = await make_user(s, entity_role="trader")
            other = await make_user(s, entity_role="trader")
            token = await token_for(s, settings, user)
    finally:
        await db.dispose()

    env = subprocess_env(
        NIHA_DATABASE_URL=fresh_database_url,
        NIHA_REDIS_URL=redis_url,
        NIHA_RUN_WORKER_IN_SERVE="false",
        NIHA_VAR_DIR=str(tmp_path / "var"),
        NIHA_SECRET_KEY=settings.secret_key,
        NIHA_API_KEY_PEPPER=settings.api_key_pepper,
    )
    port_a, port_b = free_port(), free_port()
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    with (
        running(uvicorn_args("tests.realtime.emitter_app:app", port_a), env, log_a) as proc_a,
        running(uvicorn_args("niha.asgi:app", port_b), env, log_b) as proc_b,
    ):
        await wait_http_ok(f"http://127.0.0.1:{port_a}/healthz", proc_a, log_a)
        await wait_http_ok(f"http://127.0.0.1:{port_b}/healthz", proc_b, log_b)
        async with connect(f"ws://127.0.0.1:{port_b}/api/v1/ws", open_timeout=5) as ws:
            c = WsClient(ws)
            await c.auth(token)
            assert (await c.subscribe("orders"))["type"] == "subscribed"
            assert (await c.subscribe("notifications"))["type"] == "subscribed"
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_a}", timeout=10) as http:
                for body in (
                    {
                        "channel": "orders",
                        "event": "order.other",
                        "entity_id": str(other.entity_id),
                    },
                    {
                        "channel": "orders",
                        "event": "order.filled",
                        "data": {"quantity": 10},
                        "entity_id": str(user.entity_id),
                    },
                    {"channel": "notifications", "event": "done", "user_id": str(user.id)},
                ):
                    r = await http.post("/test/emit", json=body)
                    assert r.status_code == 200, r.text
            first = await c.recv(timeout=10)
            assert first["channel"] == "orders" and first["event"] == "order.filled"
            assert first["data"] == {"quantity": 10}
            # The other entity's order never arrived: next is the closing notification.
            assert (await c.recv(timeout=10))["event"] == "done"
    for log in (log_a, log_b):
        assert "Traceback" not in log.read_text(), log.read_text()[-4000:]
