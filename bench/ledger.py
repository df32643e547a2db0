"""Ledger throughput on PostgreSQL beside pgbench's tpcb-like, measured in the same run.

    .venv/bin/python bench/ledger.py [--seconds 5] [--rounds 2] [--writers 1 8]
                                     [--path group transaction] [--processes 1]

Creates two scratch databases on the server of ``NIHA_BENCH_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``) -- one migrated for the ledger, one
initialised by ``pgbench -i`` -- and drops both at the end. For each writer count N,
each figure is the mean of ``--rounds`` interleaved runs of ``--seconds`` (the machine's
load drifts; interleaving exposes all sides to it alike):

- **pgbench** ``-c N -j N -T seconds -b tpcb-like``: per transaction three balance
  updates, one read and one history insert, each client waiting for its commit (the
  reference);
- **ledger, group** (``--path group``, the documented API for standalone transfers): N
  concurrent writers (asyncio tasks in ``--processes`` processes), each in a loop:
  ``await niha.ledger.service.submit(db, [one transfer])`` -- a random entity's
  ``available`` EUR to another's -- and wait for its durable result before the next.
  The process's ledger writer (``niha.ledger.writer``) posts what the writers submitted
  meanwhile in one transaction: lock the accounts in id order, check every batch, one
  statement for the batches, transfers, balances and one ``balances`` outbox event per
  entity, commit; then the writers get their results, and the events are published and
  marked published (the full production path). Printed beside: the mean number of
  batches per group commit (with N writers each waiting for its result, at most N).
  Group commit pays off with concurrency: at 1 writer every group holds one batch.
  Before the clock starts every entity pays once, so that the writer knows every
  account (id and last balance) as a long-running process knows those in use, and
  posts a group in one round trip;
- **ledger, transaction** (``--path transaction``, the path of a caller inside its own
  unit of work): the same writers, each posting its transfer in a transaction of its own
  through ``niha.ledger.service.transfer`` (lock, check, one write statement, two outbox
  events, commit). The after-commit marking of the events is left out unless
  ``--outbox-marking``;
- **ledger SQL, C client** (unless ``--skip-sql-replay``): the statements of the
  transaction path for one transfer (``_LOCK_PAIR_SQL``, ``_WRITE_ONE_SQL``, two outbox
  inserts) replayed by pgbench (``-M prepared``), i.e. the database's side without Python.

The ratio ledger / pgbench is the figure of merit (target: 0.8x at 8 writers, group
path). A writer counts a transfer once its result is back, i.e. committed. Runs in about
80 seconds with ``--seconds 4 --rounds 2 --skip-sql-replay``.
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
import tempfile
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


def pgbench(url: str, clients: int, seconds: int, *script: str) -> float:
    out = subprocess.run(
        ["pgbench", "-n", "-c", str(clients), "-j", str(clients), "-T", str(seconds), *script, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"tps = ([0-9.]+)", out)
    if match is None:
        raise RuntimeError(f"unexpected pgbench output:\n{out}")
    return float(match.group(1))


def ledger_sql_script(entities: int) -> str:
    """The service's statements for one transfer, with pgbench variables for the values."""
    from niha.ledger.service import _LOCK_PAIR_SQL, _WRITE_ONE_SQL

    owner = "(SELECT owner_id FROM bench_entity WHERE n = :{})"
    account = "(SELECT account_id FROM bench_entity WHERE n = :{})"
    lock = _LOCK_PAIR_SQL % {
        "t0": "'entity'",
        "o0": owner.format("a"),
        "a0": "'EUR'",
        "b0": "'available'",
        "t1": "'entity'",
        "o1": owner.format("b"),
        "a1": "'EUR'",
        "b1": "'available'",
    }
    write = _WRITE_ONE_SQL % {
        "key": "(:client_id || '-' || :k)",
        "batch_id": "gen_random_uuid()",
        "now": "now()",
        "id": "gen_random_uuid()",
        "debit": account.format("a"),
        "credit": account.format("b"),
        "asset": "'EUR'",
        "amount": "1",
        "kind": "'pay'",
        "reference_type": "NULL",
        "reference_id": "NULL",
    }
    event = (
        "INSERT INTO core_outbox_batch (id, events, created_at) SELECT e.id, "
        "jsonb_build_array(jsonb_build_object('id', e.id, 'channel', 'balances', "
        '\'event\', \'balances.updated\', \'data\', \'{{"entity_id": "x", "batch_id": "y", '
        '"changes": [{{"asset": "EUR", "bucket": "available", '
        '"balance": "1.00"}}]}}\'::jsonb, '
        f"'entity_id', {owner}, 'user_id', NULL, 'created_at', now())), now() "
        "FROM (SELECT gen_random_uuid() AS id) AS e RETURNING seq;"
    )
    one_line = " ".join
    return "\n".join(
        [
            f"\\set a random(1, {entities})",
            f"\\set d random(1, {entities - 1})",
            f"\\set b 1 + ((:a - 1 + :d) % {entities})",
            "\\set k random(1, 9000000000000000)",
            "BEGIN;",
            one_line(lock.split()) + ";",
            one_line(write.split()) + ";",
            event.format("a"),
            event.format("b"),
            "END;",
            "",
        ]
    )


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
    url: str,
    entities: list[uuid.UUID],
    start_at: float,
    stop_at: float,
    marking: bool,
    tasks: int,
    path: str,
) -> tuple[int, int, int]:
    """Transfers done by ``tasks`` writers in [start_at, stop_at); flushes and batches of
    the group writer in that window (0, 0 for the transaction path)."""
    from niha.core.db import Database, run_after_commit, unit_of_work
    from niha.ledger import service
    from niha.ledger.core import AccountKey, TransferRequest
    from niha.ledger.writer import writer_for

    db = Database(url, pool_size=tasks + 1, max_overflow=0, pool_pre_ping=False)
    rng = random.Random()

    def request(payer: uuid.UUID | None = None) -> tuple[AccountKey, AccountKey, str]:
        a, b = rng.sample(entities, 2)
        if payer is not None:
            a, b = payer, (b if b != payer else a)
        debit = AccountKey.entity(a, "EUR", "available")
        credit = AccountKey.entity(b, "EUR", "available")
        return debit, credit, str(uuid.uuid4())

    async def one_transaction() -> None:
        debit, credit, key = request()
        if marking:
            async with unit_of_work(db.maker) as session:
                await service.transfer(session, debit, credit, 1, kind="pay", key=key)
        else:
            async with db.maker() as session:
                async with session.begin():
                    await service.transfer(session, debit, credit, 1, kind="pay", key=key)
                await run_after_commit(session)  # publish to in-process subscribers (none)

    async def one_group(payer: uuid.UUID | None = None) -> None:
        debit, credit, key = request(payer)
        await service.submit(db, [TransferRequest(debit, credit, 1, "pay", key)])

    one = one_group if path == "group" else one_transaction
    group_writer = writer_for(db)
    stats: list[int] = []

    async def writer(i: int) -> int:
        # Warm up until the clock starts (at least 20 transfers): connections, prepared
        # statements and caches -- on the group path also the writer's ids and last seen
        # balances of the accounts, which a long-running process has for the accounts in
        # use: each entity pays once (a fresh process per round would otherwise measure
        # its cold start: a group of 16 random accounts among 2000 is rarely all known).
        if path == "group":
            for payer in entities[i::tasks]:
                await one_group(payer)
        for _ in range(20):
            await one()
        while time.time() < start_at:
            await one()
        if not stats:
            stats.extend([group_writer.flushes, group_writer.batches])
        done = 0
        while time.time() < stop_at:
            await one()
            done += 1
        return done

    counts = await asyncio.gather(*(writer(i) for i in range(tasks)))
    flushes, batches = group_writer.flushes - stats[0], group_writer.batches - stats[1]
    await group_writer.drain()
    await db.dispose()
    return sum(counts), flushes, batches


def _writer(
    args: tuple[str, list[uuid.UUID], float, float, bool, int, str],
) -> tuple[int, int, int]:
    return asyncio.run(write(*args))


def ledger_tps(
    url: str,
    entities: list[uuid.UUID],
    writers: int,
    seconds: int,
    marking: bool,
    processes: int,
    path: str,
) -> tuple[float, float]:
    """``writers`` concurrent writers spread over ``processes`` processes: transfers per
    second and (group path) the mean number of batches per group commit."""
    processes = max(1, min(processes, writers))
    per = [writers // processes + (1 if i < writers % processes else 0) for i in range(processes)]
    ctx = mp.get_context("fork")
    # every writer connected and warm before the clock starts (group path: every account
    # used once, see write())
    start_at = time.time() + (5.0 if path == "group" else 3.0)
    with ctx.Pool(processes) as pool:
        results = pool.map(
            _writer,
            [(url, entities, start_at, start_at + seconds, marking, n, path) for n in per],
        )
    done = sum(r[0] for r in results)
    flushes, batches = sum(r[1] for r in results), sum(r[2] for r in results)
    return done / seconds, (batches / flushes if flushes else 0.0)


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of one run")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved runs per figure")
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="writer processes; the writers share them as asyncio tasks (default 1, like "
        "one API server process; on few cores more processes fight PostgreSQL for CPU)",
    )
    parser.add_argument(
        "--path",
        nargs="+",
        choices=["group", "transaction"],
        default=["group", "transaction"],
        help="what the ledger writers call: service.submit (group commit) and/or "
        "service.transfer in a transaction of their own (default: both)",
    )
    parser.add_argument(
        "--outbox-marking",
        action="store_true",
        help="transaction path: run each transfer through unit_of_work, incl. marking its "
        "events published (the group path always does)",
    )
    parser.add_argument("--skip-sql-replay", action="store_true")
    args = parser.parse_args()
    if args.entities < 2 or args.seconds < 1 or args.rounds < 1:
        parser.error("need at least 2 entities, 1 second and 1 round")

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
            conn.execute(
                "CREATE TABLE bench_entity AS SELECT row_number() OVER (ORDER BY owner_id) AS n, "
                "owner_id, id AS account_id FROM ledger_account WHERE owner_type = 'entity' "
                "AND asset = 'EUR' AND bucket = 'available'"
            )
            conn.execute("ALTER TABLE bench_entity ADD PRIMARY KEY (n)")
            conn.execute("VACUUM ANALYZE")
        script = Path(tempfile.mkstemp(suffix=".sql", prefix="niha-ledger-")[1])
        script.write_text(ledger_sql_script(args.entities))

        print(
            f"PostgreSQL at {urlsplit(base).netloc}, {os.cpu_count()} CPU cores, "
            f"{args.rounds} x {args.seconds} s per figure; ledger: {args.entities} entities, "
            f"one transfer per batch, writers as asyncio tasks in {args.processes} process(es)"
        )
        columns = [f"{'writers':>7}", f"{'pgbench tpcb-like TPS':>21}"]
        for path in args.path:
            columns += [f"{'ledger ' + path + ' transfers/s':>29}", f"{'ratio':>5}"]
            if path == "group":
                columns.append(f"{'batches/commit':>14}")
        if not args.skip_sql_replay:
            columns.append(f"{'ledger SQL via pgbench TPS':>26}")
        print("  ".join(columns))
        for n in args.writers:
            # Interleave short runs so a change of load on the machine hits every side.
            references: list[float] = []
            ours: dict[str, list[float]] = {path: [] for path in args.path}
            sizes: list[float] = []
            replays: list[float] = []
            for _ in range(args.rounds):
                references.append(pgbench(pgbench_url, n, args.seconds, "-b", "tpcb-like"))
                for path in args.path:
                    tps, size = ledger_tps(
                        ledger_url,
                        entities,
                        n,
                        args.seconds,
                        args.outbox_marking,
                        args.processes,
                        path,
                    )
                    ours[path].append(tps)
                    if path == "group":
                        sizes.append(size)
                if not args.skip_sql_replay:
                    replays.append(
                        pgbench(ledger_url, n, args.seconds, "-M", "prepared", "-f", str(script))
                    )
            reference = sum(references) / args.rounds
            cells = [f"{n:>7}", f"{reference:>21.0f}"]
            for path in args.path:
                mine = sum(ours[path]) / args.rounds
                cells += [f"{mine:>29.0f}", f"{mine / reference:>4.2f}x"]
                if path == "group":
                    cells.append(f"{sum(sizes) / len(sizes):>14.1f}")
            if replays:
                cells.append(f"{sum(replays) / args.rounds:>26.0f}")
            print("  ".join(cells), flush=True)
        script.unlink()
        print(f"(total {time.time() - began:.0f} s)")
    finally:
        recreate(base, ledger_db, drop_only=True)
        recreate(base, pgbench_db, drop_only=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
