"""The password policy and TOTP verification, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from niha.identity import totp
from niha.identity.passwords import WeakPassword, check_password, password_problems

EMAIL = "maria.rossi@example.com"


@pytest.mark.parametrize(
    "password",
    ["", "short", "elevenchars", "x" * 129, "maria.rossi", "MARIA.ROSSI", "123maria.rossi456!!"],
)
def test_weak_passwords(password: str) -> None:
    assert password_problems(password, EMAIL)
    with pytest.raises(WeakPassword) as exc:
        check_password(password, EMAIL, "new_password")
    assert exc.value.code == "weak_password" and exc.value.status == 422
    assert exc.value.extra["field"] == "new_password"


@pytest.mark.parametrize("password", ["twelve chars", "x" * 128, "a sound passphrase ✓"])
def test_acceptable_passwords(password: str) -> None:
    assert password_problems(password, EMAIL) == []


def test_short_local_parts_only_refuse_equality() -> None:
    assert password_problems("a long passphrase", "al@example.com") == []
    assert password_problems("jo", "jo@example.com")


NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
SECRET = pyotp.random_base32()


def _code(offset_steps: int) -> str:
    return totp.code_at(SECRET, NOW + timedelta(seconds=30 * offset_steps))


def test_totp_window() -> None:
    for offset in (-1, 0, 1):
        check = totp.verify(SECRET, _code(offset), NOW, None)
        assert check.ok and check.step == totp.timestep(NOW) + offset
    for offset in (-3, -2, 2, 3):
        code = _code(offset)
        if code not in {_code(-1), _code(0), _code(1)}:
            assert not totp.verify(SECRET, code, NOW, None).ok


def test_totp_replay_and_malformed() -> None:
    current = totp.timestep(NOW)
    assert totp.verify(SECRET, _code(0), NOW, current).reason == "replayed"
    assert totp.verify(SECRET, _code(-1), NOW, current).reason == "replayed"
    assert totp.verify(SECRET, _code(1), NOW, current).ok
    for bad in ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"]:
        assert totp.verify(SECRET, bad, NOW, None).reason == "malformed"
    spaced = _code(0)[:3] + " " + _code(0)[3:]
    assert totp.verify(SECRET, spaced, NOW, None).ok


def test_provisioning_uri() -> None:
    uri = totp.provisioning_uri(SECRET, "a@example.com")
    assert uri.startswith("otpauth://totp/Niha:a%40example.com?")
    assert f"secret={SECRET}" in uri and "issuer=Niha" in uri
