"""TOTP (RFC 6238) for second-factor logins: 30 s steps, ±1 step accepted, no replays."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

import pyotp

ISSUER = "Niha"
STEP_SECONDS = 30
DIGITS = 6
VALID_WINDOW = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def timestep(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, now: datetime) -> str:
    """The code for ``now`` (tests and tooling)."""
    return pyotp.TOTP(secret).generate_otp(timestep(now))


@dataclass(frozen=True)
class Verification:
    ok: bool
    step: int | None = None
    reason: str | None = None  # "malformed" | "mismatch" | "replayed"


def verify(secret: str, code: str, now: datetime, last_step: int | None) -> Verification:
    """Check ``code`` against the steps around ``now``; a step at or before ``last_step`` is a replay."""
    code = code.replace(" ", "").strip()
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return Verification(False, reason="malformed")
    totp = pyotp.TOTP(secret)
    current = timestep(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if last_step is not None and step <= last_step:
                return Verification(False, step=step, reason="replayed")
            return Verification(True, step=step)
    return Verification(False, reason="mismatch")
