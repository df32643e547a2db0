from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _niha(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "niha.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_default_secrets(tmp_path: Path) -> None:
    r = _niha(
        "serve",
        env={
            "NIHA_ENV": "production",
            "NIHA_SECRET_KEY": "change-me",
            "NIHA_VAR_DIR": str(tmp_path),
            "NIHA_DATABASE_URL": "postgresql://x@127.0.0.1:1/none",
        },
    )
    assert r.returncode == 2
    assert "NIHA_SECRET_KEY" in r.stderr


def test_help_lists_commands(tmp_path: Path) -> None:
    r = _niha("--help", env={"NIHA_VAR_DIR": str(tmp_path)})
    assert r.returncode == 0
    for command in ["serve", "migrate", "create-admin", "seed-demo", "worker", "verify-audit"]:
        assert command in r.stdout
