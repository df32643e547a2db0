"""The planner settings of the service's connections (``core.db.PLANNER_OPTIONS``)."""

from __future__ import annotations

import psycopg

from niha.core.db import make_engine

# What PostgreSQL runs for each ledger transfer's foreign keys to its two accounts.
_FK_CHECK = "SELECT 1 FROM ONLY ledger_account x WHERE id = $1 FOR KEY SHARE OF x"


def _small_hot_accounts(url: str) -> None:
    """A venue's first day: a hundred accounts whose balances moved a few times, analysed."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO ledger_account "
            "SELECT gen_random_uuid(), 'entity', gen_random_uuid(), 'EUR', b, 0, now(), now() "
            "FROM generate_series(1, 25), "
            "unnest(ARRAY['available', 'reserved', 'on_hold', 'settling']) AS b"
        )
        for _ in range(3):
            conn.execute("UPDATE ledger_account SET balance = balance + 1")
        conn.execute("VACUUM ANALYZE ledger_account")


async def _fk_plan(url: str) -> str:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
            await conn.exec_driver_sql(f"PREPARE fk(uuid) AS {_FK_CHECK}")
            result = await conn.exec_driver_sql(
                "EXPLAIN EXECUTE fk('00000000-0000-0000-0000-000000000000')"
            )
            return "\n".join(str(row[0]) for row in result)
    finally:
        await engine.dispose()


async def test_the_ledgers_foreign_key_checks_use_the_accounts_primary_key(
    fresh_database_url: str,
) -> None:
    _small_hot_accounts(fresh_database_url)
    # PostgreSQL's own default (random_page_cost 4) reads this table page by page:
    with psycopg.connect(fresh_database_url) as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        conn.execute(f"PREPARE fk(uuid) AS {_FK_CHECK}")
        default = "\n".join(
            r[0] for r in conn.execute("EXPLAIN EXECUTE fk('00000000-0000-0000-0000-000000000000')")
        )
    assert "Seq Scan" in default
    # ... the service's connections go through the primary key.
    plan = await _fk_plan(fresh_database_url)
    assert "Index Scan using pk_ledger_account" in plan, plan


async def test_options_in_the_database_url_are_kept(fresh_database_url: str) -> None:
    joiner = "&" if "?" in fresh_database_url else "?"
    url = f"{fresh_database_url}{joiner}options=-c%20statement_timeout%3D4321"
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            timeout = (await conn.exec_driver_sql("SHOW statement_timeout")).scalar_one()
            cost = (await conn.exec_driver_sql("SHOW random_page_cost")).scalar_one()
    finally:
        await engine.dispose()
    assert (timeout, cost) == ("4321ms", "1.1")
