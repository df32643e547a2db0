"""Ledger throughput on PostgreSQL beside pgbench's tpcb-like, measured in the same run.

    python bench/ledger.py [--seconds 10] [--writers 1 8] [--entities 2000]

Creates two scratch databases on the server of ``NIHA_BENCH_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``): one migrated for the ledger, one
initialised by ``pgbench -i``; drops both at the end.

For each writer count N:

- ``pgbench -c N -j N -T seconds -b tpcb-like`` (5 statements per transaction: three
  balance updates, one read, one history insert);
- N writer processes, each with its own connection, each posting transfers for
  ``seconds``: one transfer per transaction from a random entity's ``available`` EUR
  to another's, through ``niha.ledger.service.transfer`` — lock both accounts, write
  the batch, the transfer and both balances, two ``balances`` outbox events, commit.

It prints transfers/second, pgbench's TPS and their ratio. The after-commit outbox
publication (a separate transaction per event today, see ``niha.core.events``) is not
part of the ledger's unit of work; ``--outbox-marking`` includes it to show its cost.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
FUNDING = 10**12  # cents per entity: never runs out


def with_database(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))


def recreate(url: str, name: str, *, drop_only: bool = False) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(url, name)


# --------------------------------------------------------------------------- pgbench


def pgbench_tps(url: str, clients: int, seconds: int) -> float:
    out = subprocess.run(
        ["pgbench", "-n", "-c", str(clients), "-j", str(clients), "-T", str(seconds)]
        + ["-b", "tpcb-like", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"tps = ([0-9.]+)", out)
    if match is None:
        raise RuntimeError(f"unexpected pgbench output:\n{out}")
    return float(match.group(1))


# --------------------------------------------------------------------------- the ledger


async def seed(url: str, entities: list[uuid.UUID]) -> None:
    from niha.core.db import Database, unit_of_work
    from niha.ledger import service
    from niha.ledger.core import AccountKey, TransferRequest

    db = Database(url, pool_size=1, max_overflow=0)
    bank = AccountKey.platform("EUR", "bank")
    for i in range(0, len(entities), 500):
        chunk = entities[i : i + 500]
        async with unit_of_work(db.maker) as session:
            for e in chunk:
                await service.open_accounts(session, e, ["EUR"])
            await service.post_batch(
                session,
                [
                    TransferRequest(
                        bank, AccountKey.entity(e, "EUR", "available"), FUNDING, "deposit", f"f:{e}"
                    )
                    for e in chunk
                ],
            )
    await db.dispose()


async def write(
    url: str, entities: list[uuid.UUID], start_at: float, stop_at: float, marking: bool
) -> int:
    from niha.core.db import Database, run_after_commit, unit_of_work
    from niha.ledger import service
    from niha.ledger.core import AccountKey

    db = Database(url, pool_size=1, max_overflow=0, pool_pre_ping=False)
    rng = random.Random()

    async def one() -> None:
        a, b = rng.sample(entities, 2)
        debit = AccountKey.entity(a, "EUR", "available")
        credit = AccountKey.entity(b, "EUR", "available")
        key = str(uuid.uuid4())
        if marking:
            async with unit_of_work(db.maker) as session:
                await service.transfer(session, debit, credit, 1, kind="pay", key=key)
        else:
            async with db.maker() as session:
                async with session.begin():
                    await service.transfer(session, debit, credit, 1, kind="pay", key=key)
                await run_after_commit(session)  # publish to in-process subscribers (none)

    for _ in range(20):  # warm up: connection, prepared statements, caches
        await one()
    while time.time() < start_at:
        await asyncio.sleep(0.001)
    done = 0
    while time.time() < stop_at:
        await one()
        done += 1
    await db.dispose()
    return done


def _writer(args: tuple[str, list[uuid.UUID], float, float, bool]) -> int:
    return asyncio.run(write(*args))


def ledger_tps(
    url: str, entities: list[uuid.UUID], writers: int, seconds: int, marking: bool
) -> float:
    ctx = mp.get_context("fork")
    start_at = time.time() + 3.0  # every process connected and warm before the clock starts
    with ctx.Pool(writers) as pool:
        counts = pool.map(
            _writer, [(url, entities, start_at, start_at + seconds, marking)] * writers
        )
    return sum(counts) / seconds


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument(
        "--outbox-marking",
        action="store_true",
        help="run each transfer through unit_of_work, incl. marking its events published",
    )
    args = parser.parse_args()

    base = os.environ.get("NIHA_BENCH_DATABASE_URL", DEFAULT_URL)
    suffix = f"{os.getpid()}"
    ledger_db, pgbench_db = f"niha_bench_ledger_{suffix}", f"niha_bench_pgbench_{suffix}"
    began = time.time()
    try:
        ledger_url = recreate(base, ledger_db)
        pgbench_url = recreate(base, pgbench_db)
        from niha.migrate import upgrade

        upgrade(ledger_url)
        subprocess.run(["pgbench", "-i", "-q", pgbench_url], capture_output=True, check=True)
        entities = [uuid.uuid4() for _ in range(args.entities)]
        asyncio.run(seed(ledger_url, entities))
        with psycopg.connect(ledger_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")

        cores = os.cpu_count()
        print(f"PostgreSQL at {urlsplit(base).netloc}, {cores} CPU cores, {args.seconds} s per run")
        print(f"ledger: {args.entities} entities, one transfer per transaction, writer processes")
        print(f"{'writers':>7}  {'ledger transfers/s':>18}  {'pgbench tpcb-like TPS':>21}  ratio")
        for n in args.writers:
            pg = pgbench_tps(pgbench_url, n, args.seconds)
            ours = ledger_tps(ledger_url, entities, n, args.seconds, args.outbox_marking)
            print(f"{n:>7}  {ours:>18.0f}  {pg:>21.0f}  {ours / pg:.2f}x", flush=True)
        print(f"(total {time.time() - began:.0f} s)")
    finally:
        recreate(base, ledger_db, drop_only=True)
        recreate(base, pgbench_db, drop_only=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
