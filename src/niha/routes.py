"""Every API router, mounted under ``/api/v1`` by the app factory."""

from __future__ import annotations

from fastapi import APIRouter


def api_routers() -> list[APIRouter]:
    from niha.audit.api import router as audit_router
    from niha.exchange.api import admin_router as exchange_admin_router
    from niha.exchange.api import router as exchange_router
    from niha.exchange.fee_api import admin_router as exchange_fees_router
    from niha.exchange.fee_api import client_router as exchange_my_fees_router
    from niha.exchange.market_api import marketplace_router
    from niha.exchange.market_api import router as market_router
    from niha.funding.api import admin_router as funding_admin_router
    from niha.funding.api import client_router as funding_client_router
    from niha.identity.api import admin_router as users_router
    from niha.identity.api import auth_router
    from niha.kyc.api import router as kyc_router
    from niha.kyc.api import upload_router as kyc_upload_router
    from niha.ledger.api import router as ledger_router
    from niha.onboarding.api import admin_router as onboarding_admin_router
    from niha.onboarding.api import client_router as onboarding_client_router
    from niha.onboarding.api import public_router as onboarding_public_router
    from niha.realtime.api import router as realtime_router

    # Starlette matches routes one by one, in this order: the trading API (most of the
    # traffic) comes first.
    return [
        exchange_router,
        exchange_my_fees_router,
        market_router,
        marketplace_router,
        auth_router,
        users_router,
        audit_router,
        realtime_router,
        ledger_router,
        onboarding_public_router,
        onboarding_client_router,
        onboarding_admin_router,
        kyc_upload_router,
        kyc_router,
        funding_client_router,
        funding_admin_router,
        exchange_admin_router,
        exchange_fees_router,
    ]
