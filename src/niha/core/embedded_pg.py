"""The embedded PostgreSQL (``pgserver``) used when no ``NIHA_DATABASE_URL`` is set."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

DEFAULT_DB = "niha"


def start(data_dir: Path, database: str = DEFAULT_DB) -> str:
    """Start (or reuse) the server under ``data_dir``; return a plain URL to ``database``."""
    import warnings

    with warnings.catch_warnings():
        # platformdirs (through pgserver) warns when XDG_RUNTIME_DIR is unset; harmless here.
        warnings.simplefilter("ignore")
        from pgserver import get_server  # type: ignore[attr-defined]

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(str(data_dir.resolve()), cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    socket_dir = quote(str(data_dir.resolve()), safe="")
    return f"postgresql://postgres@/{database}?host={socket_dir}"


def resolve_database_url(configured: str | None, var_dir: Path) -> str:
    return configured or start(var_dir / "pg")
