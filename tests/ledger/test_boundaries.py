"""Only niha.ledger touches the ledger tables, and its arithmetic stays pure."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "niha"
LEDGER = SRC / "ledger"
LEDGER_TABLE = re.compile(r"\bledger_(account|transfer|batch|asset|adjustment|daily_\w+)\b")
# Modules outside the ledger package allowed to name ledger tables: the list of models.
ALLOWED_OUTSIDE = {SRC / "models.py"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def string_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def outside_ledger() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if LEDGER not in p.parents and p not in ALLOWED_OUTSIDE]


def test_no_other_module_imports_the_ledger_tables() -> None:
    offenders = [
        str(p.relative_to(SRC))
        for p in outside_ledger()
        if any(
            m == "niha.ledger.models" or m.startswith("niha.ledger.models.")
            for m in imported_modules(p)
        )
    ]
    assert offenders == [], f"use niha.ledger.service instead of its models: {offenders}"


def test_no_other_module_names_a_ledger_table_in_sql() -> None:
    offenders = [
        str(p.relative_to(SRC))
        for p in outside_ledger()
        if any(LEDGER_TABLE.search(s) for s in string_literals(p))
    ]
    assert offenders == [], f"raw SQL on ledger tables outside niha.ledger: {offenders}"


def test_the_check_itself_catches_offenders(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from niha.ledger.models import LedgerAccount\n"
        "Q = 'UPDATE ledger_account SET balance = 0'\n"
    )
    assert "niha.ledger.models" in imported_modules(bad)
    assert any(LEDGER_TABLE.search(s) for s in string_literals(bad))


PURE = {
    LEDGER / "core.py": {"niha.core.money"},
    SRC / "core" / "money.py": set(),
}
STDLIB_OK = {"__future__", "uuid", "re", "collections", "dataclasses", "enum", "typing"}


def test_pure_modules_import_nothing_impure() -> None:
    """No I/O, clock, randomness, database or web framework in the arithmetic."""
    for path, allowed in PURE.items():
        for module in imported_modules(path):
            ok = allowed | STDLIB_OK
            assert any(module == a or module.startswith(a + ".") for a in ok), (path.name, module)
