"""The password policy (pure)."""

from __future__ import annotations

from niha.core.errors import Unprocessable

MIN_LENGTH = 12
MAX_LENGTH = 128
# A local part this short ("jo@...") is not a meaningful secret to forbid inside a password.
MIN_LOCAL_PART_CHECKED = 3


class WeakPassword(Unprocessable):
    code = "weak_password"
    title = "Password too weak"


def password_problems(password: str, email: str) -> list[str]:
    """What is wrong with ``password`` for the account ``email`` (empty when it is fine)."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        problems.append(f"must be at most {MAX_LENGTH} characters long")
    local = email.split("@", 1)[0].strip().lower()
    lowered = password.lower()
    if local and (lowered == local or (len(local) >= MIN_LOCAL_PART_CHECKED and local in lowered)):
        problems.append("must not contain the name part of the email address")
    return problems


def check_password(password: str, email: str, field: str = "password") -> None:
    """Raise 422 ``weak_password`` naming ``field`` when the policy refuses ``password``."""
    problems = password_problems(password, email)
    if problems:
        raise WeakPassword(
            f"{field}: " + "; ".join(problems),
            field=field,
            errors=[{"field": field, "message": p, "code": "weak_password"} for p in problems],
        )
