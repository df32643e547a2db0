"""``niha create-admin``: creates a super admin; clear errors and exit 1 otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from niha import cli_commands  # noqa: F401  (registers the commands)
from niha.cli import app
from niha.config import get_settings


@pytest.fixture
def cli_env(
    fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    monkeypatch.setenv("NIHA_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("NIHA_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield fresh_database_url
    get_settings.cache_clear()


def _create_admin(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["create-admin", *args])
    return result.exit_code, result.stdout, result.stderr


def test_create_admin(cli_env: str) -> None:
    code, out, err = _create_admin(
        "--email", "Root@Example.com", "--password", "a very long passphrase", "--name", "Root"
    )  # fmt: skip
    assert code == 0, err
    assert "root@example.com" in out
    with psycopg.connect(cli_env) as conn:
        row = conn.execute(
            "SELECT role, status, name FROM identity_user WHERE email = 'root@example.com'"
        ).fetchone()
        assert row == ("super_admin", "active", "Root")
        audit = conn.execute(
            "SELECT actor_email FROM audit_log WHERE action = 'user_created'"
        ).fetchone()
        assert audit == ("cli",)

    code, _, err = _create_admin("--email", "root@example.com", "--password", "another long one")
    assert code == 1
    assert "already exists" in err

    code, _, err = _create_admin("--email", "x@example.com", "--password", "short")
    assert code == 1
    assert "password" in err and "12" in err

    code, _, err = _create_admin("--email", "nope", "--password", "x" * 20)
    assert code == 1
    assert "invalid email" in err
