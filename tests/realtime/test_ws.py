"""The WebSocket protocol on a real server (memory pub/sub): auth, channels, scoping,
heartbeat, and the ways a socket gets closed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

from niha.core import clock
from tests.realtime.conftest import Server

ServerFactory = Callable[..., AbstractAsyncContextManager[Server]]
Tokens = Callable[..., Any]


async def test_auth_subscribe_receive_unsubscribe(ws_server: ServerFactory, tokens: Tokens) -> None:
    _, token = await tokens(entity_role="trader")
    async with ws_server() as server, server.client() as c:
        await c.auth(token)
        assert await c.subscribe("ticker") == {"type": "subscribed", "channel": "ticker"}
        assert await c.subscribe("book.EUA-EUR") == {
            "type": "subscribed",
            "channel": "book.EUA-EUR",
        }
        await server.emit("ticker", "tick", {"price": "72.35"})
        message = await c.recv()
        assert message["type"] == "event" and message["channel"] == "ticker"
        assert message["event"] == "tick" and message["data"] == {"price": "72.35"}
        assert uuid.UUID(message["id"]) and message["ts"].endswith("Z")
        assert set(message) == {"type", "id", "channel", "event", "data", "ts"}

        await c.send(op="unsubscribe", channel="ticker")
        assert await c.recv() == {"type": "unsubscribed", "channel": "ticker"}
        await server.emit("ticker", "tick", {"price": "1.00"})
        await server.emit("book.EUA-EUR", "snapshot", {"seq": 1})
        # The ticker event was not delivered: the next message is the book's.
        assert (await c.recv())["channel"] == "book.EUA-EUR"


async def test_unknown_and_forbidden_channels(ws_server: ServerFactory, tokens: Tokens) -> None:
    _, client_token = await tokens(entity_role="owner")
    _, staff_token = await tokens(role="compliance")
    async with ws_server() as server, server.client() as c, server.client() as s:
        await c.auth(client_token)
        await s.auth(staff_token)
        assert await c.subscribe("backoffice") == {
            "type": "error",
            "code": "forbidden_channel",
            "channel": "backoffice",
        }
        for bad in ("nope", "book.eua-eur", "book.", "orders.x"):
            assert await c.subscribe(bad) == {
                "type": "error",
                "code": "unknown_channel",
                "channel": bad,
            }
        assert await s.subscribe("backoffice") == {"type": "subscribed", "channel": "backoffice"}
        assert await c.subscribe("ticker") == {"type": "subscribed", "channel": "ticker"}
        await server.emit("backoffice", "deposit.confirmed", {"n": 1})
        await server.emit("ticker", "tick", {})
        assert (await s.recv())["channel"] == "backoffice"
        assert (await c.recv())["channel"] == "ticker"  # never the backoffice event


async def test_private_channels_deliver_only_to_their_entity_or_user(
    ws_server: ServerFactory, tokens: Tokens
) -> None:
    alice, alice_token = await tokens(entity_role="trader")
    _, alex_token = await tokens(entity_role="viewer", entity_id=alice.entity_id)
    bob, bob_token = await tokens(entity_role="trader")
    _, staff_token = await tokens(role="admin")
    async with (
        ws_server() as server,
        server.client() as a,
        server.client() as a2,
        server.client() as b,
        server.client() as s,
    ):
        for c, token in ((a, alice_token), (a2, alex_token), (b, bob_token), (s, staff_token)):
            await c.auth(token)
            for channel in ("orders", "notifications", "ticker"):
                assert (await c.subscribe(channel))["type"] == "subscribed"

        await server.emit("orders", "order.filled", {"who": "A"}, entity_id=alice.entity_id)
        await server.emit("notifications", "note", {"who": "bob"}, user_id=bob.id)
        await server.emit("orders", "order.unscoped", {})
        await server.emit("ticker", "sentinel", {})

        async def events(c: Any) -> list[str]:
            seen = []
            while True:
                message = await c.recv()
                seen.append(f"{message['channel']}:{message['event']}")
                if message["event"] == "sentinel":
                    return seen

        assert await events(a) == ["orders:order.filled", "ticker:sentinel"]
        assert await events(a2) == ["orders:order.filled", "ticker:sentinel"]
        assert await events(b) == ["notifications:note", "ticker:sentinel"]
        assert await events(s) == ["ticker:sentinel"]


async def test_bad_token_or_no_auth_closes(ws_server: ServerFactory, tokens: Tokens) -> None:
    async with ws_server() as server:
        async with server.client() as c:
            await c.send(op="auth", token="not-a-jwt")
            code, seen = await c.closed()
            assert code == 4401 and seen[0]["code"] == "not_authenticated"
        async with server.client() as c:
            await c.send(op="subscribe", channel="ticker")
            code, seen = await c.closed()
            assert code == 4401 and seen[0]["code"] == "not_authenticated"
        async with server.client() as c:
            await c.send(op="auth", token=12)
            assert (await c.closed())[0] == 4401


async def test_auth_timeout_closes(ws_server: ServerFactory) -> None:
    async with ws_server(auth_timeout=0.3) as server, server.client() as c:
        code, seen = await c.closed()
        assert code == 4408 and seen == [{"type": "error", "code": "auth_timeout"}]


async def test_heartbeat_pong_keeps_alive_missing_pong_closes(
    ws_server: ServerFactory, tokens: Tokens
) -> None:
    _, token = await tokens(entity_role="trader")
    async with ws_server(ping_interval=0.15) as server, server.client() as c:
        await c.auth(token)
        for _ in range(3):
            assert await c.recv(skip_pings=False) == {"type": "ping"}
            await c.send(op="pong")
        assert await c.subscribe("ticker") == {"type": "subscribed", "channel": "ticker"}
        # Stop answering: the next ping goes unanswered and the server closes.
        code, seen = await c.closed()
        assert code == 4408
        assert {"type": "ping"} in seen


async def test_invalid_message_flood_closes(ws_server: ServerFactory, tokens: Tokens) -> None:
    _, token = await tokens(entity_role="trader")
    async with ws_server(max_invalid_messages=5) as server, server.client() as c:
        await c.auth(token)
        await c.send_raw("{not json")
        assert (await c.recv())["code"] == "invalid_message"
        await c.send(op="dance")
        assert (await c.recv())["code"] == "unknown_op"
        await c.send(op="subscribe", channel=["ticker"])
        assert (await c.recv())["code"] == "invalid_message"
        await c.send_raw(b"\x00binary")
        await c.send_raw("x" * 10_000)
        code, seen = await c.closed()
        assert code == 4400
        assert [m["code"] for m in seen] == ["invalid_message", "invalid_message"]


async def test_message_rate_limit_closes(ws_server: ServerFactory, tokens: Tokens) -> None:
    _, token = await tokens(entity_role="trader")
    async with ws_server(max_messages_per_window=10) as server, server.client() as c:
        await c.auth(token)
        for _ in range(20):
            await c.send(op="pong")
        code, _ = await c.closed()
        assert code == 4429


async def test_reauth_swaps_the_token_and_drops_what_is_no_longer_allowed(
    ws_server: ServerFactory, tokens: Tokens
) -> None:
    _, staff_token = await tokens(role="operations")
    _, staff_token_2 = await tokens(role="operations")
    _, client_token = await tokens(entity_role="trader")
    async with ws_server() as server, server.client() as c:
        await c.auth(staff_token)
        assert (await c.subscribe("backoffice"))["type"] == "subscribed"
        assert (await c.subscribe("ticker"))["type"] == "subscribed"
        await c.auth(staff_token_2)  # a refresh: subscriptions stay
        await server.emit("backoffice", "still-staff", {})
        assert (await c.recv())["event"] == "still-staff"
        await c.send(op="auth", token=client_token)
        assert await c.recv() == {
            "type": "unsubscribed",
            "channel": "backoffice",
            "reason": "forbidden_channel",
        }
        assert await c.recv() == {"type": "ready"}
        await server.emit("backoffice", "secret", {})
        await server.emit("ticker", "sentinel", {})
        assert (await c.recv())["event"] == "sentinel"


async def test_expired_token_closes_unless_refreshed(
    ws_server: ServerFactory, tokens: Tokens
) -> None:
    _, token = await tokens(entity_role="trader")
    async with ws_server(ping_interval=0.1) as server, server.client() as c:
        await c.auth(token)
        try:
            clock.freeze(clock.utcnow() + timedelta(hours=1))
            code, seen = await c.closed()
        finally:
            clock.freeze(None)
        assert code == 4401
        assert {"type": "error", "code": "token_expired", "detail": seen[-1]["detail"]} in seen


async def test_slow_consumer_is_disconnected(ws_server: ServerFactory, tokens: Tokens) -> None:
    _, token = await tokens(entity_role="trader")
    async with ws_server(queue_size=3) as server, server.client() as c:
        await c.auth(token)
        assert (await c.subscribe("ticker"))["type"] == "subscribed"
        hub = server.app.state.realtime_hub
        from niha.core.events import Event

        for n in range(50):  # straight into the hub, faster than any socket drains
            await hub.dispatch(Event("ticker", "tick", {"n": n}, str(uuid.uuid4()), "t"))
        code, _ = await c.closed()
        assert code == 1013
        await asyncio.sleep(0)
        assert hub.connection_count == 0


async def test_anonymous_sockets_get_public_market_data_only(
    ws_server: ServerFactory, tokens: Tokens
) -> None:
    alice, alice_token = await tokens(entity_role="trader")
    async with ws_server() as server, server.client() as v:
        await v.send(op="anonymous")
        assert await v.recv() == {"type": "ready", "anonymous": True}
        for channel in ("ticker", "book.EUA-EUR", "trades.CEA-EUR"):
            assert await v.subscribe(channel) == {"type": "subscribed", "channel": channel}
        for channel in ("orders", "fills", "balances", "notifications", "backoffice"):
            assert await v.subscribe(channel) == {
                "type": "error",
                "code": "not_authenticated",
                "channel": channel,
            }
        # Private events never reach it, whatever their scope.
        await server.emit("orders", "order.filled", {}, entity_id=alice.entity_id)
        await server.emit("orders", "order.unscoped", {})
        await server.emit("ticker", "tick", {"price": "72.35"})
        message = await v.recv()
        assert (message["channel"], message["data"]) == ("ticker", {"price": "72.35"})

        # Signing in later opens the private channels.
        await v.auth(alice_token)
        assert await v.subscribe("orders") == {"type": "subscribed", "channel": "orders"}
        await server.emit("orders", "order.filled", {"n": 2}, entity_id=alice.entity_id)
        assert (await v.recv())["data"] == {"n": 2}

        # Going back to anonymous drops them again.
        await v.send(op="anonymous")
        assert await v.recv() == {
            "type": "unsubscribed",
            "channel": "orders",
            "reason": "not_authenticated",
        }
        assert await v.recv() == {"type": "ready", "anonymous": True}
        await server.emit("orders", "order.filled", {"n": 3}, entity_id=alice.entity_id)
        await server.emit("ticker", "sentinel", {})
        assert (await v.recv())["event"] == "sentinel"


async def test_anonymous_sockets_are_capped(ws_server: ServerFactory, tokens: Tokens) -> None:
    _, token = await tokens(entity_role="trader")
    async with ws_server(max_anonymous=1) as server:
        async with server.client() as first, server.client() as second, server.client() as member:
            await first.send(op="anonymous")
            assert await first.recv() == {"type": "ready", "anonymous": True}
            await second.send(op="anonymous")
            code, seen = await second.closed()
            assert code == 1013 and seen[0]["code"] == "too_many_connections"
            # Signed-in users are not counted against it.
            await member.auth(token)
            assert (await member.subscribe("ticker"))["type"] == "subscribed"
        # A visitor who leaves frees the place.
        async with server.client() as third:
            await third.send(op="anonymous")
            assert await third.recv() == {"type": "ready", "anonymous": True}
