"""Order placement through the HTTP API on PostgreSQL, beside pgbench's tpcb-like TPS.

    python bench/exchange_http.py [--seconds 10] [--clients 1,8,32] [--processes 1]

Builds a scratch database (migrated) and a pgbench database on the server at
``NIHA_BENCH_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``),
starts ``--processes`` ``niha serve`` processes on it, and for each client count N runs
N concurrent HTTP clients (each its own trading entity and keep-alive connection, spread
over the processes) that place LIMIT orders around one price on EUA-EUR (``--instruments
2``: each order on EUA-EUR or CEA-EUR at random, so every client trades both; ``--cancels
0.4``: market makers, 40% of operations cancel one of the client's resting quotes, the
rest place quotes that rest; ``--idempotency-keys``: every operation carries an
``Idempotency-Key`` of its own, as market makers send) for
``--seconds`` (half of them cross and trade; each order is validated, reserved, matched
and recorded with its fills, fees, trades and outbox events, in the instrument's next
group transaction, and acknowledged once that has committed). Then
``pgbench -b tpcb-like -c N -j N -T seconds``. Prints orders/s, p50/p99 latency, the
ratio to pgbench TPS (``--rounds R``: every client count R times, ours and pgbench
alternating, then the median ratio and its range: this machine is shared and noisy), and
where the CPU went: milliseconds of CPU per order of the server
process(es) and of PostgreSQL, and of the whole machine per order and per pgbench
transaction (``cpu ceiling``: the ratio our CPU cost per order allows if we kept the
machine as busy as pgbench does -- pgbench's 8 clients use both cores). With ``--in-process``, then the same orders placed in
this process without HTTP (``exchange.api.place``, as the order lane calls it): what the
server could do if HTTP cost nothing. Drops both databases.

Before measuring, ``--history`` orders (default 20,000) are placed the same way and both
databases are vacuumed and analysed: as ``pgbench -i -s 10`` gives pgbench a million
accounts, the venue gets a history of orders, trades and ledger batches. Measured on an
empty venue, PostgreSQL plans the foreign-key checks of its first transactions for tables
of a few rows -- reading them page by page -- and keeps those plans while the tables grow
(see docs/benchmarks.md).

The clients speak HTTP/1.1 over raw sockets (:class:`_Conn`): on two cores, a client
library such as httpx would cost about as much CPU per request as the server spends.
One server process by default: with two on two cores, each process reloads the book
whenever the other one moved the instrument's sequence (see docs/exchange.md).

Also callable as ``part_http(args)`` from ``bench/exchange.py --part http``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SECRET = "bench-secret-" + "b" * 40


def _url(base: str, name: str) -> str:
    return base.rsplit("/", 1)[0] + "/" + name


def _admin(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _clients(url: str, count: int) -> list[str]:
    from niha.config import Settings
    from niha.core.clock import utcnow
    from niha.core.db import Database, unit_of_work
    from niha.core.ids import new_id
    from niha.identity import service as identity
    from niha.identity.models import User
    from niha.ledger import service as ledger
    from niha.ledger.core import AccountKey
    from niha.onboarding.models import Entity

    settings = Settings(secret_key=SECRET, api_key_pepper=SECRET, env="development")
    db = Database(url)
    tokens = []
    try:
        async with unit_of_work(db.maker) as session:
            for i in range(count):
                now = utcnow()
                entity = Entity(
                    id=new_id(), entity_type="COMPANY", legal_name=f"Bench {i}",
                    jurisdiction="DE", country="DE", status="APPROVED", kyc_status="APPROVED",
                    status_updated_at=now, created_at=now, updated_at=now,
                )  # fmt: skip
                user = User(
                    id=new_id(), email=f"bench-{i}-{uuid.uuid4().hex[:6]}@example.com",
                    name="Bench", role=None, entity_id=entity.id, entity_role="trader",
                    status="active", password_hash="$argon2id$v=19$m=65536,t=3,p=4$YmVuY2g$YmVuY2hiZW5jaGJlbmNo", totp_enabled=False,
                    failed_login_count=0, created_at=now, updated_at=now,
                )  # fmt: skip
                session.add_all([entity, user])
                await session.flush()
                for asset, amount, src in (("EUR", 10**12, "bank"), ("EUA", 10**9, "registry"),
                                           ("CEA", 10**9, "registry")):  # fmt: skip
                    await ledger.transfer(
                        session, AccountKey.platform(asset, src),
                        AccountKey.entity(entity.id, asset, "available"), amount,
                        kind="bench", key=f"bench:{entity.id}:{asset}",
                    )  # fmt: skip
                await ledger.open_accounts(session, entity.id)
                tokens.append((await identity.open_session(session, settings, user)).access_token)
    finally:
        await db.dispose()
    return tokens


class _Conn:
    """A minimal HTTP/1.1 keep-alive client: the load generator must cost far less CPU
    than the server it measures (httpx costs about as much per request as the server's
    own HTTP layer, on the same two cores)."""

    def __init__(self, url: str, token: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.head = (
            f" HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        ).encode()

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(
        self, body: bytes, path: bytes = b"/api/v1/orders/place", key: bytes = b""
    ) -> tuple[int, bytes]:
        extra = b"Idempotency-Key: " + key + b"\r\n" if key else b""
        self.writer.write(
            b"POST " + path + self.head + extra
            + b"Content-Length: %d\r\n\r\n" % len(body) + body
        )  # fmt: skip
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


#: The instruments the clients trade (``--instruments``).
SYMBOLS = ("EUA-EUR", "CEA-EUR")


def _order_body(rng: random.Random, instruments: int = 1) -> bytes:
    """A LIMIT order around 70.00 EUR on EUA-EUR (or, with ``instruments`` 2, on either
    instrument at random): half of them cross and trade."""
    symbol = SYMBOLS[rng.randrange(instruments)] if instruments > 1 else SYMBOLS[0]
    cents = 7000 + rng.randint(-3, 3)
    return json.dumps(
        {
            "instrument": symbol,
            "order_type": rng.choice(("BUY", "SELL")),
            "order_kind": "LIMIT",
            "quantity": rng.randint(1, 20),
            "price": f"{cents // 100}.{cents % 100:02d}",
            "time_in_force": rng.choice(("GTC", "IOC")),
        }
    ).encode()


def _quote_body(rng: random.Random, instruments: int = 1) -> bytes:
    """A market maker's LIMIT quote on EUA-EUR (or either instrument) that rests: bids
    69.50-69.90, asks 70.10-70.50 (``--cancels``)."""
    symbol = SYMBOLS[rng.randrange(instruments)] if instruments > 1 else SYMBOLS[0]
    side = rng.choice(("BUY", "SELL"))
    cents = 6990 - rng.randint(0, 40) if side == "BUY" else 7010 + rng.randint(0, 40)
    return json.dumps(
        {
            "instrument": symbol,
            "order_type": side,
            "order_kind": "LIMIT",
            "quantity": rng.randint(1, 20),
            "price": f"{cents // 100}.{cents % 100:02d}",
        }
    ).encode()


async def _place_in_process(
    url: str, tokens: list[str], clients: int, seconds: float, instruments: int = 1
) -> tuple[float, float]:
    """The same orders from ``clients`` callers placed in this process, without HTTP
    (``exchange.api.place``, as the order lane calls it): orders/s and ms of this
    process's CPU per order. What the server could do if HTTP cost nothing."""
    from niha import runtime
    from niha.config import Settings
    from niha.core.db import Database
    from niha.exchange.api import place
    from niha.exchange.schemas import PlaceOrderIn
    from niha.identity.service import principal_from_token

    runtime.tune_gc()
    settings = Settings(secret_key=SECRET, api_key_pepper=SECRET, env="development")
    db = Database(url)
    try:
        principals = [await principal_from_token(db, settings, t) for t in tokens[:clients]]
        placed = 0

        async def caller(i: int, stop: float) -> None:
            nonlocal placed
            principal = principals[i]
            assert principal is not None
            rng = random.Random(i)
            while time.perf_counter() < stop:
                await place(
                    db.maker,
                    settings,
                    principal,
                    PlaceOrderIn.model_validate_json(_order_body(rng, instruments)),
                )
                placed += 1

        warm = time.perf_counter() + 1
        await asyncio.gather(*(caller(i, warm) for i in range(clients)))
        placed = 0
        cpu0, t0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(caller(i, t0 + seconds) for i in range(clients)))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
        return placed / wall, cpu * 1000 / max(placed, 1)
    finally:
        await db.dispose()


def _key(keys: bool) -> bytes:
    """A fresh ``Idempotency-Key`` (``keys``), never used before (not from the clients'
    seeded generators: a later round would send the same keys again), or none."""
    return uuid.uuid4().hex.encode() if keys else b""


async def _load(
    urls: list[str],
    tokens: list[str],
    clients: int,
    seconds: float,
    orders: int = 0,
    instruments: int = 1,
    cancels: float = 0.0,
    keys: bool = False,
) -> list[float]:
    """Place orders from ``clients`` clients for ``seconds`` (or, with ``orders``, until
    that many are placed); the latency of each. With ``cancels``, market makers: each
    operation cancels one of the client's resting quotes with that probability, and
    otherwise places a quote that rests (:func:`_quote_body`). With ``keys``, every
    operation carries an ``Idempotency-Key`` of its own, as a careful API client sends."""
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def worker(i: int) -> None:
        rng = random.Random(i)
        conn = _Conn(urls[i % len(urls)], tokens[i])
        resting: list[bytes] = []
        await conn.open()
        try:
            while time.perf_counter() < stop and not (orders and len(latencies) >= orders):
                if resting and rng.random() < cancels:
                    order_id = resting.pop(rng.randrange(len(resting)))
                    t0 = time.perf_counter()
                    status, text = await conn.post(
                        b"", b"/api/v1/orders/%s/cancel" % order_id, _key(keys)
                    )
                    if status != 200:
                        raise RuntimeError(f"cancel refused: {status} {text!r}")
                    latencies.append(time.perf_counter() - t0)
                    continue
                body = _quote_body(rng, instruments) if cancels else _order_body(rng, instruments)
                t0 = time.perf_counter()
                status, text = await conn.post(body, key=_key(keys))
                if status != 201:
                    raise RuntimeError(f"order refused: {status} {text!r}")
                latencies.append(time.perf_counter() - t0)
                if cancels:
                    resting.append(json.loads(text)["id"].encode())
        finally:
            conn.close()

    await asyncio.gather(*(worker(i) for i in range(clients)))
    return latencies


def _pgbench(url: str, clients: int, seconds: int) -> float:
    out = subprocess.run(
        ["pgbench", "-n", "-b", "tpcb-like", "-c", str(clients), "-j", str(clients),
         "-T", str(seconds), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
    if not m:
        raise RuntimeError(out)
    return float(m.group(1))


def _settle(urls: list[str]) -> None:
    """Vacuum both databases and checkpoint before each measurement, so that neither
    side pays for the cleanup of what the other (or the previous round) wrote: an
    autovacuum or checkpoint running during a measurement takes one of the two cores."""
    import psycopg

    for url in urls:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
    _admin(urls[0], "CHECKPOINT")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0.0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process on this machine so far (0.0 when it runs
    elsewhere: the column then reads 0)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += _cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


def _machine_busy() -> float:
    """Seconds of CPU the whole machine has spent busy so far (every core; /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))] * 1000 if s else float("nan")


def run(
    seconds: int,
    client_counts: list[int],
    processes: int,
    history: int = 20_000,
    in_process: bool = False,
    rounds: int = 1,
    instruments: int = 1,
    cancels: float = 0.0,
    keys: bool = False,
) -> None:
    base = os.environ.get(
        "NIHA_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    tag = f"{os.getpid()}"
    app_db, pg_db = f"niha_bench_exc_{tag}", f"niha_bench_pgb_{tag}"
    for name in (app_db, pg_db):
        _admin(base, f"DROP DATABASE IF EXISTS {name}")
        _admin(base, f"CREATE DATABASE {name}")
    app_url, pg_url = _url(base, app_db), _url(base, pg_db)
    procs: list[subprocess.Popen[Any]] = []
    try:
        from niha.migrate import upgrade

        upgrade(app_url)
        subprocess.run(["pgbench", "-i", "-q", "-s", "10", pg_url], check=True, capture_output=True)
        tokens = asyncio.run(_clients(app_url, max(client_counts)))
        env = {**os.environ, "NIHA_DATABASE_URL": app_url, "NIHA_SECRET_KEY": SECRET,
               "NIHA_API_KEY_PEPPER": SECRET, "NIHA_RUN_WORKER_IN_SERVE": "false",
               "NIHA_ENV": "development", "NIHA_LOG_JSON": "true",
               "NIHA_DEMO_MARKET": "false"}  # fmt: skip
        env.pop("NIHA_REDIS_URL", None)
        urls = []
        for _ in range(processes):
            port = _port()
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "niha.cli", "serve", "--port", str(port)],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("niha serve did not start")
                time.sleep(0.2)
        asyncio.run(
            _load(urls, tokens, min(4, len(tokens)), 2, instruments=instruments)
        )  # warm up (connections, caches)
        if history:
            asyncio.run(_load(urls, tokens, max(client_counts), 600, history, instruments))
        print(
            f"\n== http: order placement through the API ({processes} x niha serve,"
            f" {' and '.join(SYMBOLS[:instruments])}) vs pgbench tpcb-like"
            + (
                f"\n   market makers: {cancels:.0%} of operations cancel a resting quote,"
                " the rest place quotes that rest; ops/s counts both"
                if cancels
                else ""
            )
            + ("\n   every operation carries an Idempotency-Key of its own" if keys else "")
        )
        print(
            f"{'clients':>7} {'ops/s' if cancels else 'orders/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'pgbench tps':>12} {'ratio':>6}"
            f" {'server cpu':>11} {'pg cpu':>7}"
        )
        ratios: dict[int, list[float]] = {n: [] for n in client_counts}
        # Per client count: [whole-machine CPU ms per order, cores busy, ms per pgbench
        # transaction, cores busy] of each round.
        budgets: dict[int, list[tuple[float, float, float, float]]] = {n: [] for n in client_counts}
        for _ in range(rounds):
            for n in client_counts:
                _settle([app_url, pg_url])
                server0 = sum(_cpu_seconds(p.pid) for p in procs)
                pg0 = _postgres_cpu_seconds()
                machine0, wall0 = _machine_busy(), time.perf_counter()
                lat = asyncio.run(
                    _load(
                        urls,
                        tokens,
                        n,
                        seconds,
                        instruments=instruments,
                        cancels=cancels,
                        keys=keys,
                    )
                )
                machine, wall = _machine_busy() - machine0, time.perf_counter() - wall0
                server_ms = (sum(_cpu_seconds(p.pid) for p in procs) - server0) * 1000 / len(lat)
                pg_ms = (_postgres_cpu_seconds() - pg0) * 1000 / len(lat)
                rate = len(lat) / seconds
                _settle([app_url, pg_url])
                pgb0, pgb_wall0 = _machine_busy(), time.perf_counter()
                tps = _pgbench(pg_url, n, seconds)
                pgb, pgb_wall = _machine_busy() - pgb0, time.perf_counter() - pgb_wall0
                ratios[n].append(rate / tps)
                budgets[n].append(
                    (
                        machine * 1000 / len(lat),
                        machine / wall,
                        pgb * 1000 / (tps * seconds),
                        pgb / pgb_wall,
                    )
                )
                print(
                    f"{n:>7} {rate:>9.0f} {_pct(lat, 0.5):>8.1f} {_pct(lat, 0.99):>8.1f} {tps:>12.0f} {rate / tps:>6.2f}x"
                    f" {server_ms:>8.3f} ms {pg_ms:>4.2f} ms"
                )
        print(
            "   server cpu / pg cpu: CPU time per order of the niha serve process(es) and of\n"
            "   every PostgreSQL process on this machine, read from /proc around the measurement"
        )
        print(
            f"\n   the machine's CPU (every process, every core, /proc/stat), medians over rounds:\n"
            f"{'clients':>7} {'ms/order':>9} {'cores':>6} {'ms/pgbench tx':>14} {'cores':>6}"
            f" {'cpu ceiling':>12}"
        )
        for n, rows in budgets.items():
            order_ms, cores, tx_ms, tx_cores = (
                statistics.median(r[i] for r in rows) for i in range(4)
            )
            print(
                f"{n:>7} {order_ms:>9.3f} {cores:>6.2f} {tx_ms:>14.3f} {tx_cores:>6.2f}"
                f" {tx_ms / order_ms:>11.2f}x"
            )
        print(
            "   cpu ceiling = ms per pgbench transaction / ms per order: the ratio ours would\n"
            "   reach if it kept the machine as busy as pgbench does (pgbench's pgbench client\n"
            "   and ours -- the load generator of this script -- are counted on both sides)"
        )
        if rounds > 1:
            print(f"\n   ratio over {rounds} rounds (each ours, then pgbench, alternating):")
            for n, rs in ratios.items():
                print(
                    f"   {n:>4} clients: median {statistics.median(rs):.2f}x ({min(rs):.2f}x-{max(rs):.2f}x)"
                )
        if in_process:
            import uvloop

            print("\n== the same orders placed in one process without HTTP (exchange.api.place)")
            print(f"{'clients':>7} {'orders/s':>9} {'cpu':>11}")
            for n in client_counts:
                _settle([app_url])
                rate, cpu_ms = uvloop.run(
                    _place_in_process(app_url, tokens, n, seconds, instruments)
                )
                print(f"{n:>7} {rate:>9.0f} {cpu_ms:>8.3f} ms")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        for name in (app_db, pg_db):
            _admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def part_http(args: argparse.Namespace) -> None:
    run(
        getattr(args, "http_seconds", 10),
        [1, 8, 32],
        getattr(args, "http_processes", 1),
        getattr(args, "http_history", 20_000),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--history", type=int, default=20_000, help="orders placed first")
    parser.add_argument(
        "--in-process", action="store_true", help="also place the orders without HTTP"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure every client count this many times"
    )
    parser.add_argument(
        "--instruments",
        type=int,
        choices=(1, 2),
        default=1,
        help="2: every client places each order on EUA-EUR or CEA-EUR at random",
    )
    parser.add_argument(
        "--cancels",
        type=float,
        default=0.0,
        help="market makers: this share of operations cancels a resting quote (e.g. 0.4)",
    )
    parser.add_argument(
        "--idempotency-keys",
        action="store_true",
        help="every operation carries an Idempotency-Key of its own (as market makers send)",
    )
    a = parser.parse_args()
    run(
        a.seconds,
        [int(c) for c in a.clients.split(",")],
        a.processes,
        a.history,
        a.in_process,
        a.rounds,
        a.instruments,
        a.cancels,
        a.idempotency_keys,
    )


if __name__ == "__main__":
    main()
