"""Demo data for ``make run`` (``niha seed-demo``). Idempotent: existing rows are kept."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit.service import Actor
from niha.config import Settings
from niha.identity import service as identity

DEMO_PASSWORD = "Niha-demo-2026!"

DEMO_STAFF = [
    ("admin@niha.example", "Ada Admin", "super_admin", "Super admin"),
    ("compliance@niha.example", "Carla Compliance", "compliance", "Compliance officer"),
    ("operations@niha.example", "Omar Operations", "operations", "Operations"),
]


async def seed(
    session: AsyncSession, settings: Settings | None = None
) -> list[tuple[str, str, bool]]:
    """Create the demo staff, clients (approved, KYC approved), funding and market data.

    Returns ``(e-mail, role / entity, created)`` for every demo login."""
    actor = Actor.system("seed-demo")
    result: list[tuple[str, str, bool]] = []
    for email, name, role, label in DEMO_STAFF:
        existing = await identity.find_user_by_email(session, email)
        if existing is None:
            await identity.create_staff_user(
                session, email=email, password=DEMO_PASSWORD, name=name, role=role, actor=actor
            )
        result.append((email, label, existing is None))
    from niha.seed_market import seed_market

    result += await seed_market(session, DEMO_PASSWORD, settings)
    return result
