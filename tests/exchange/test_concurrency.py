"""Two ``niha serve`` processes, many clients placing crossing orders at once (and
cancelling some of them).

No overfill, no negative bucket, the instrument ``sequence`` strictly increasing with no
gaps (one per command), reservations equal to what open orders still hold, the book not
crossed, and ``niha reconcile`` clean.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from niha.config import Settings
from niha.core.clock import utcnow
from niha.core.db import Database, unit_of_work
from tests.exchange.trading import fund
from tests.funding.helpers import make_entity
from tests.identity.factories import make_user, token_for

ROOT = Path(__file__).resolve().parents[2]
SECRET = "concurrency-secret-" + "s" * 40
CLIENTS = 12
ORDERS_EACH = 8


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def servers(fresh_database_url: str, tmp_path: Path) -> Iterator[list[str]]:
    procs, urls = [], []
    env = {
        **os.environ,
        "NIHA_DATABASE_URL": fresh_database_url,
        "NIHA_SECRET_KEY": SECRET,
        "NIHA_API_KEY_PEPPER": SECRET,
        "NIHA_VAR_DIR": str(tmp_path / "var"),
        "NIHA_RUN_WORKER_IN_SERVE": "false",
        "NIHA_ENV": "development",
    }
    env.pop("NIHA_REDIS_URL", None)
    for i in range(2):
        port = _port()
        log = (tmp_path / f"serve{i}.log").open("w")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "niha.cli", "serve", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        for url in urls:
            while True:
                try:
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "niha serve did not start"
                time.sleep(0.2)
        yield urls
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


async def _make_clients(url: str, settings: Settings) -> list[tuple[Any, str]]:
    db = Database(url)
    out = []
    try:
        async with unit_of_work(db.maker) as session:
            for _ in range(CLIENTS):
                e = await make_entity(session, legal_name="Race Trader")
                user = await make_user(session, entity_role="trader", entity_id=e.id)
                await fund(session, e.id, eur=100_000_000, eua=10_000)
                out.append((e.id, await token_for(session, settings, user)))
    finally:
        await db.dispose()
    return out


async def test_two_processes_many_clients_crossing_orders(
    servers: list[str], fresh_database_url: str, settings: Settings
) -> None:
    settings = settings.model_copy(update={"secret_key": SECRET})
    clients = await _make_clients(fresh_database_url, settings)
    rng = random.Random(7)

    async def trade(i: int, token: str) -> list[int]:
        statuses = []
        async with httpx.AsyncClient(base_url=servers[i % 2], timeout=60) as http:
            for _ in range(ORDERS_EACH):
                side = rng.choice(["BUY", "SELL"])
                price = 7000 + rng.randint(-5, 5)
                r = await http.post(
                    "/api/v1/orders/place",
                    json={"certificate_type": "EUA", "order_type": side, "order_kind": "LIMIT",
                          "quantity": rng.randint(1, 30), "price": f"{price // 100}.{price % 100:02d}",
                          "time_in_force": rng.choice(["GTC", "GTC", "IOC"])},
                    headers={"Authorization": f"Bearer {token}"},
                )  # fmt: skip
                statuses.append(r.status_code)
        return statuses

    results = await asyncio.gather(*(trade(i, tok) for i, (_, tok) in enumerate(clients)))
    assert all(s == 201 for rs in results for s in rs), results
    _check_market(fresh_database_url, CLIENTS * ORDERS_EACH, cancels=0)
    _reconcile(fresh_database_url)


async def test_two_processes_clients_placing_and_cancelling(
    servers: list[str], fresh_database_url: str, settings: Settings
) -> None:
    """Market makers: each client places orders and cancels some of its resting ones
    (decided in the groups of the process it talks to, beside the other's orders)."""
    settings = settings.model_copy(update={"secret_key": SECRET})
    clients = await _make_clients(fresh_database_url, settings)
    rng = random.Random(11)

    async def quote(i: int, token: str) -> tuple[int, int]:
        placed = cancelled = 0
        resting: list[str] = []
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=servers[i % 2], timeout=60) as http:
            for _ in range(ORDERS_EACH * 2):
                if resting and rng.random() < 0.4:
                    order_id = resting.pop(rng.randrange(len(resting)))
                    r = await http.post(f"/api/v1/orders/{order_id}/cancel", headers=headers)
                    # Filled meanwhile by another client's order: refused, as it should be.
                    assert r.status_code in (200, 409), r.text
                    cancelled += r.status_code == 200
                    continue
                side = rng.choice(["BUY", "SELL"])
                price = 7000 + rng.randint(-5, 5)
                r = await http.post(
                    "/api/v1/orders/place",
                    json={"certificate_type": "EUA", "order_type": side, "order_kind": "LIMIT",
                          "quantity": rng.randint(1, 30), "price": f"{price // 100}.{price % 100:02d}"},
                    headers=headers,
                )  # fmt: skip
                assert r.status_code == 201, r.text
                placed += 1
                if r.json()["status"] in ("OPEN", "PARTIALLY_FILLED"):
                    resting.append(r.json()["id"])
        return placed, cancelled

    results = await asyncio.gather(*(quote(i, tok) for i, (_, tok) in enumerate(clients)))
    placed = sum(p for p, _ in results)
    cancelled = sum(c for _, c in results)
    assert cancelled > 0
    _check_market(fresh_database_url, placed, cancels=cancelled)
    _reconcile(fresh_database_url)


def _check_market(url: str, orders: int, *, cancels: int) -> None:
    """What must hold after the orders and cancellations have all been answered."""
    total = orders + cancels
    with psycopg.connect(url) as conn:
        seq = conn.execute(
            "SELECT sequence FROM exchange_instrument WHERE symbol = 'EUA-EUR'"
        ).fetchone()
        sequences = [r[0] for r in conn.execute(
            "SELECT o.sequence FROM exchange_order o JOIN exchange_instrument i "
            "ON i.id = o.instrument_id WHERE i.symbol = 'EUA-EUR' "
            "UNION ALL SELECT o.last_sequence FROM exchange_order o "
            "WHERE o.reason = 'cancelled_by_client' ORDER BY 1")]  # fmt: skip
        # One command per order and per cancellation, numbered 1..N without a gap or a
        # repeat (a cancelled order's last change is its cancellation).
        assert seq is not None and seq[0] == total
        assert sequences == list(range(1, total + 1))
        assert conn.execute(
            "SELECT count(*) FROM exchange_order WHERE reason = 'cancelled_by_client'"
        ).fetchone() == (cancels,)
        # No overfill: every order's fills add up to its filled quantity, within its size.
        bad = conn.execute(
            """
            SELECT o.id FROM exchange_order o
            LEFT JOIN (SELECT order_id, sum(quantity) q FROM exchange_order_fill GROUP BY order_id) f
              ON f.order_id = o.id
            WHERE coalesce(f.q, 0) <> o.filled_quantity OR o.filled_quantity > o.quantity
            """
        ).fetchall()
        assert bad == []
        trades = conn.execute(
            "SELECT count(*), coalesce(sum(quantity), 0) FROM exchange_trade"
        ).fetchone()
        fills = conn.execute(
            "SELECT coalesce(sum(quantity), 0) FROM exchange_order_fill"
        ).fetchone()
        assert trades is not None and fills is not None and fills[0] == 2 * trades[1]
        assert trades[0] > 0  # the orders did cross
        # No negative bucket.
        neg = conn.execute(
            "SELECT count(*) FROM ledger_account WHERE owner_type = 'entity' AND balance < 0"
        ).fetchone()
        assert neg == (0,)
        # The book is not crossed, and the reserved buckets hold exactly what open orders hold.
        crossed = conn.execute(
            """
            SELECT (SELECT max(price) FROM exchange_order WHERE side = 'BUY'
                      AND status IN ('OPEN', 'PARTIALLY_FILLED'))
                >= (SELECT min(price) FROM exchange_order WHERE side = 'SELL'
                      AND status IN ('OPEN', 'PARTIALLY_FILLED'))
            """
        ).fetchone()
        assert crossed is not None and crossed[0] is not True
        mismatch = conn.execute(
            """
            SELECT a.owner_id, a.asset FROM ledger_account a
            LEFT JOIN (SELECT entity_id, reserved_asset, sum(reserved_remaining) r
                       FROM exchange_order GROUP BY entity_id, reserved_asset) o
              ON o.entity_id = a.owner_id AND o.reserved_asset = a.asset
            WHERE a.owner_type = 'entity' AND a.bucket = 'reserved'
              AND a.balance <> coalesce(o.r, 0)
            """
        ).fetchall()
        assert mismatch == []


def _reconcile(url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "niha.cli", "reconcile", "--date", utcnow().date().isoformat()],
        env={**os.environ, "NIHA_DATABASE_URL": url, "NIHA_SECRET_KEY": SECRET},
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
