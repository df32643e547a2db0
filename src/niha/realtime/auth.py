"""Authenticating a WebSocket with an access token (through the identity service)."""

from __future__ import annotations

from fastapi import FastAPI

from niha.config import Settings
from niha.core.db import Database
from niha.core.security import decode_access_token
from niha.realtime.api import Authenticator
from niha.realtime.hub import Authenticated


def identity_authenticator(app: FastAPI) -> Authenticator:
    async def authenticate(token: str) -> Authenticated | None:
        from niha.identity.service import principal_from_token

        settings: Settings = app.state.settings
        db: Database = app.state.db
        claims = decode_access_token(settings.secret_key, token)
        if claims is None:
            return None
        principal = await principal_from_token(db, settings, token)
        if principal is None:
            return None
        return Authenticated(subscriber=principal, expires_at=claims.expires_at)

    return authenticate
