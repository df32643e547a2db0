"""procrastinate's tables live in our database but not in our SQLAlchemy metadata."""

from __future__ import annotations

from typing import Any

PROCRASTINATE_SCHEMA_VERSION = "3.10.0"  # the schema migration 0003 applies
PROCRASTINATE_PREFIXES = ("procrastinate_", "idx_procrastinate_")


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic ``include_name`` hook: leave procrastinate's objects out of comparisons."""
    return not (name and name.startswith(PROCRASTINATE_PREFIXES))
