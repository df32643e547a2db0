"""The audit hash chain: appends link, verification finds edits and deletions."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit.chain import GENESIS_HASH, ChainRow, first_break, link
from niha.audit.service import Actor, record, verify_chain
from niha.core.db import Database, unit_of_work


def _chain(contents: list[dict[str, object]]) -> list[ChainRow]:
    rows, prev = [], GENESIS_HASH
    for i, content in enumerate(contents, start=1):
        h = link(prev, content)
        rows.append(ChainRow(i, str(i), content, prev, h))
        prev = h
    return rows


@given(
    st.lists(st.dictionaries(st.text(max_size=5), st.integers()), min_size=1, max_size=8), st.data()
)
def test_any_edit_or_deletion_is_found(
    contents: list[dict[str, object]], data: st.DataObject
) -> None:
    rows = _chain(contents)
    assert first_break(rows) is None
    i = data.draw(st.integers(0, len(rows) - 1))
    edited = list(rows)
    victim = edited[i]
    edited[i] = ChainRow(
        victim.seq, victim.id, {**victim.content, "tampered": True}, victim.prev_hash, victim.hash
    )
    broken = first_break(edited)
    assert broken is not None and broken.seq == victim.seq
    if len(rows) > 1 and i < len(rows) - 1:
        deleted = rows[:i] + rows[i + 1 :]
        gap = first_break(deleted)
        assert gap is not None and gap.seq == rows[i + 1].seq


async def test_record_links_rows(session: AsyncSession) -> None:
    actor = Actor(email="a@example.com", ip="1.2.3.4", user_agent="pytest")
    a = await record(session, actor, "thing.created", "thing", "1", after={"x": 1})
    b = await record(session, actor, "thing.updated", "thing", "1", before={"x": 1}, after={"x": 2})
    assert b.seq == a.seq + 1
    assert b.prev_hash == a.hash
    count, broken = await verify_chain(session)
    assert broken is None and count >= 2


async def test_append_only_trigger(session: AsyncSession) -> None:
    await record(session, Actor.system(), "x", "thing", "1")
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text("UPDATE audit_log SET action = 'y'"))


async def test_tampering_detected(session: AsyncSession) -> None:
    await record(session, Actor.system(), "first", "thing", "1")
    row = await record(session, Actor.system(), "second", "thing", "1", after={"amount": "10.00"})
    await record(session, Actor.system(), "third", "thing", "1")
    await session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"))
    await session.execute(
        text('UPDATE audit_log SET after = \'{"amount": "99.00"}\' WHERE id = :id'), {"id": row.id}
    )
    _, broken = await verify_chain(session)
    assert broken is not None and broken.seq == row.seq


def _verify_cli(url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NIHA_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "niha.cli", "verify-audit"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_verify_audit_cli(fresh_database_url: str) -> None:
    db = Database(fresh_database_url)
    try:
        async with unit_of_work(db.maker) as s:
            for i in range(3):
                await record(s, Actor.system(), f"step{i}", "thing", "1", after={"i": i})
        ok = _verify_cli(fresh_database_url)
        assert ok.returncode == 0, ok.stderr
        assert "OK" in ok.stdout
        async with unit_of_work(db.maker) as s:
            await s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"))
            await s.execute(text("UPDATE audit_log SET action = 'forged' WHERE seq = 2"))
            await s.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update"))
        bad = _verify_cli(fresh_database_url)
        assert bad.returncode == 1
        assert "seq 2" in bad.stderr
    finally:
        await db.dispose()
