"""``niha seed-demo``: idempotent, its printed logins work, the clients are KYC-approved with
funding history, and the ledger reconciles afterwards (real commits, the real CLI)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import psycopg
from typer.testing import CliRunner

from niha import cli_commands  # noqa: F401  (registers ``niha reconcile``)
from niha.cli import app as cli
from niha.config import Settings
from niha.core.clock import utcnow
from niha.seed import DEMO_PASSWORD, DEMO_STAFF
from niha.seed_market import DEMO_CLIENTS


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    return result.stdout


async def _check_http(url: str, var_dir: Path) -> None:
    from niha.app import create_app
    from niha.core.db import Database

    settings = Settings(
        env="test",
        database_url=url,
        var_dir=var_dir,
        secret_key="test-secret-key-" + "x" * 40,
        api_key_pepper="test-pepper-" + "y" * 40,
        web_dist=var_dir / "dist",
        run_worker_in_serve=False,
    )
    db = Database(url, pool_size=2, max_overflow=2)
    try:
        web = create_app(settings, db=db, start_background=False)
        transport = httpx.ASGITransport(app=web, client=("127.0.0.1", 12345))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            for email, *_ in [*DEMO_STAFF, *DEMO_CLIENTS]:
                r = await http.post(
                    "/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD}
                )
                assert r.status_code == 200, (email, r.text)
                if email not in {c[0] for c in DEMO_CLIENTS}:
                    continue
                auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
                status = await http.get("/api/v1/kyc/status", headers=auth)
                assert status.status_code == 200, status.text
                assert status.json()["status"] == "APPROVED", status.json()
    finally:
        await db.dispose()


def test_seed_demo_twice_logins_kyc_funding_and_reconcile(cli_env: str, tmp_path: Path) -> None:
    first = _run("seed-demo")
    for email, *_ in [*DEMO_STAFF, *DEMO_CLIENTS]:
        assert f"{email}  (created)" in first, first
    assert "Owner, Nordic Steel AB" in first

    second = _run("seed-demo")
    assert "(created)" not in second, second

    with psycopg.connect(cli_env) as conn:

        def counts(sql: str) -> dict[str, int]:
            return {k: int(v) for k, v in conn.execute(sql).fetchall()}

        assert counts(
            "SELECT status || '/' || kyc_status, count(*) FROM onboarding_entity GROUP BY 1"
        ) == {"APPROVED/APPROVED": 4}
        assert counts("SELECT status, count(*) FROM kyc_document GROUP BY 1") == {"APPROVED": 20}
        keys = [k for (k,) in conn.execute("SELECT storage_key FROM kyc_document").fetchall()]
        assert all((tmp_path / "var" / "storage" / k).is_file() for k in keys)
        assert counts("SELECT status, count(*) FROM funding_bank_account GROUP BY 1") == {
            "VERIFIED": 4
        }
        assert counts("SELECT status, count(*) FROM funding_deposit GROUP BY 1") == {
            "CLEARED": 8,
            "ON_HOLD": 4,
            "PENDING": 4,
        }
        assert counts("SELECT status, count(*) FROM funding_withdrawal GROUP BY 1") == {
            "PENDING": 4
        }
        open_orders = conn.execute("SELECT count(*) FROM exchange_order WHERE status = 'OPEN'")
        assert (open_orders.fetchone() or (0,))[0] > 0
        # The history of trades ends before the seed ran: none in the future.
        future = conn.execute(
            "SELECT count(*) FROM exchange_trade WHERE created_at > now()"
            " UNION ALL SELECT count(*) FROM exchange_order WHERE created_at > now()"
        )
        assert [n for (n,) in future.fetchall()] == [0, 0]

    _run("reconcile", "--date", utcnow().date().isoformat())
    _run("reconcile")
    asyncio.run(_check_http(cli_env, tmp_path / "var"))
