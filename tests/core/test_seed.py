"""The demo seed is idempotent and its printed logins work."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from niha.seed import DEMO_PASSWORD, DEMO_STAFF, seed


async def test_seed_is_idempotent_and_logins_work(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    first = await seed(session)
    await session.commit()
    second = await seed(session)
    await session.commit()
    assert all(created for _, _, created in first)
    assert not any(created for _, _, created in second)
    for email, *_ in DEMO_STAFF:
        r = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD}
        )
        assert r.status_code == 200, (email, r.text)
