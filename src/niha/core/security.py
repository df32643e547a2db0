"""Password hashing (argon2id), access tokens (JWT) and opaque token helpers."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from niha.core.clock import utcnow

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps a wrong email as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("niha-timing-equaliser-not-a-password")

JWT_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-work check: hashes even when there is no stored hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """Opaque tokens (refresh, invitation, reset) are stored as SHA-256 only."""
    return hashlib.sha256(token.encode()).hexdigest()


def hmac_sha256(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: datetime


def issue_access_token(
    secret: str, user_id: uuid.UUID, session_id: uuid.UUID, ttl_seconds: int
) -> tuple[str, datetime]:
    now = utcnow()
    expires = now + timedelta(seconds=ttl_seconds)
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "sid": str(session_id),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "typ": "access",
    }
    return jwt.encode(payload, secret, algorithm=JWT_ALGORITHM), expires


def decode_access_token(secret: str, token: str) -> AccessClaims | None:
    """The claims of a valid, unexpired access token, else ``None``.

    The signature check is cached per token (a client sends the same token with every
    request until it refreshes); the expiry is checked on every call, against the real
    clock as PyJWT does.
    """
    verified = _verified_access_token(secret, token)
    if verified is None:
        return None
    claims, exp = verified
    return claims if exp > time.time() else None


@functools.lru_cache(maxsize=4096)
def _verified_access_token(secret: str, token: str) -> tuple[AccessClaims, int] | None:
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "sub", "sid"], "verify_exp": False},
        )
        if payload.get("typ") != "access":
            return None
        exp = int(payload["exp"])
        claims = AccessClaims(
            user_id=uuid.UUID(payload["sub"]),
            session_id=uuid.UUID(payload["sid"]),
            expires_at=datetime.fromtimestamp(exp, tz=utcnow().tzinfo),
        )
        return claims, exp
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return None
