"""Every API router, mounted under ``/api/v1`` by the app factory."""

from __future__ import annotations

from fastapi import APIRouter


def api_routers() -> list[APIRouter]:
    from niha.audit.api import router as audit_router
    from niha.identity.api import admin_router as users_router
    from niha.identity.api import auth_router
    from niha.ledger.api import router as ledger_router
    from niha.realtime.api import router as realtime_router

    return [auth_router, users_router, audit_router, realtime_router, ledger_router]
