"""The audit hash chain, pure: canonical content and the SHA-256 link."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(content)).hexdigest()


@dataclass(frozen=True)
class ChainRow:
    seq: int
    id: str
    content: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Break:
    seq: int
    id: str
    reason: str


def first_break(
    rows: Iterable[ChainRow], start_hash: str = GENESIS_HASH, start_seq: int = 0
) -> Break | None:
    """The first row whose link is wrong: altered content, altered hash, or a gap (deletion)."""
    expected_prev, expected_seq = start_hash, start_seq + 1
    for row in rows:
        if row.seq != expected_seq:
            return Break(row.seq, row.id, f"sequence gap: expected {expected_seq}, found {row.seq}")
        if row.prev_hash != expected_prev:
            return Break(row.seq, row.id, "previous-hash link does not match the preceding row")
        if link(row.prev_hash, row.content) != row.hash:
            return Break(row.seq, row.id, "content does not match its hash (row was altered)")
        expected_prev, expected_seq = row.hash, row.seq + 1
    return None
